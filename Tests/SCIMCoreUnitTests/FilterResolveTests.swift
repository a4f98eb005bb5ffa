import Testing
import SCIMCore

@Suite("Filter validation against the schema")
struct FilterResolveTests {
    @Test(
        "names are canonicalised",
        arguments: [
            (#"USERNAME eq "x""#, #"userName eq "x""#),
            (#"Name.FamilyName sw "J""#, #"name.familyName sw "J""#),
            (#"EMAILS[TYPE eq "work" and Value co "@x"]"#, #"emails[(type eq "work" and value co "@x")]"#),
            (#"emails co "example.com""#, #"emails.value co "example.com""#),
            (#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#, #"userName eq "x""#),
            (
                #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.value eq "1""#,
                #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1""#
            ),
            (#"META.lastmodified gt "2011-05-13T04:42:34Z""#, #"meta.lastModified gt "2011-05-13T04:42:34Z""#),
            ("not (ACTIVE eq true)", "not (active eq true)"),
            (#"externalid eq "abc""#, #"externalId eq "abc""#),
        ])
    func canonical(text: String, expected: String) throws {
        #expect(try SCIMFilter.parse(text).resolved(against: userType).description == expected)
    }

    @Test(
        "unknown or misused attributes are invalidFilter naming them",
        arguments: [
            (#"nickname2 eq "x""#, "nickname2"),
            (#"name.nickName eq "x""#, "name.nickName"),
            (#"emails[kind eq "work"]"#, "emails.kind"),
            (#"emails[type.value eq "work"]"#, "emails"),
            (#"urn:example:ext:1.0:User:foo eq "x""#, "urn:example:ext:1.0:User"),
            (#"name eq "x""#, "complex attribute \"name\""),
            ("active gt true", "\"gt\" cannot be used"),
            (#"x509Certificates.value lt "a""#, "binary"),
            (#"userName[value eq "x"]"#, "not a complex attribute"),
            (#"members.value eq "x""#, "members"),
        ])
    func unknown(text: String, fragment: String) {
        do {
            _ = try SCIMFilter.parse(text).resolved(against: userType)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.scimType == .invalidFilter)
            #expect(error.detail.contains(fragment), "\(error.detail)")
        }
    }

    @Test("group filters resolve against the group schema")
    func group() throws {
        let f = try SCIMFilter.parse(#"DisplayName eq "Admins" and members[VALUE eq "1"]"#).resolved(against: groupType)
        #expect(f.description == #"(displayName eq "Admins" and members[value eq "1"])"#)
    }
}
