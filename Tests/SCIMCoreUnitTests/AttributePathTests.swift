import Testing
import SCIMCore

@Suite("Attribute paths (RFC 7644 §3.10, §3.5.2)")
struct AttributePathTests {
    @Test(
        "plain paths",
        arguments: [
            ("userName", nil as String?, "userName", nil as String?),
            ("name.givenName", nil, "name", "givenName"),
            ("members.$ref", nil, "members", "$ref"),
            ("urn:ietf:params:scim:schemas:core:2.0:User:userName", SCIMURN.user, "userName", nil),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", enterpriseURN, "manager", "value"),
            ("x509Certificates", nil, "x509Certificates", nil),
            ("first_name-2", nil, "first_name-2", nil),
        ])
    func plain(text: String, urn: String?, attribute: String, sub: String?) throws {
        let path = try AttributePath(parsing: text)
        #expect(path.schemaURN == urn)
        #expect(path.attribute == attribute)
        #expect(path.subAttribute == sub)
        #expect(path.description == text)
    }

    @Test(
        "malformed paths are invalidPath",
        arguments: [
            "", "1abc", "name.", ".name", "a.b.c", "user name", "urn:", "urn:x:", "na$me", "emails[", "é",
        ])
    func malformed(text: String) {
        #expect {
            _ = try AttributePath(parsing: text)
        } throws: { ($0 as? SCIMError)?.scimType == .invalidPath }
    }

    @Test(
        "PATCH paths",
        arguments: [
            ("members", "members"),
            ("name.familyName", "name.familyName"),
            (#"members[value eq "2819c223"]"#, #"members[value eq "2819c223"]"#),
            (#"emails[type eq "work"].value"#, #"emails[type eq "work"].value"#),
            (#"Emails[Type EQ "work" and primary eq true].Value"#, #"Emails[(Type eq "work" and primary eq true)].Value"#),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            ),
            (#"addresses[type eq "work"].streetAddress"#, #"addresses[type eq "work"].streetAddress"#),
        ])
    func patchPaths(text: String, canonical: String) throws {
        #expect(try AttributePath.parsePatchPath(text).description == canonical)
    }

    @Test(
        "bad PATCH paths",
        arguments: [
            ("", SCIMErrorType.invalidPath),
            ("name.givenName[value eq 1]", .invalidPath),
            (#"emails[type eq "work"] extra"#, .invalidPath),
            (#"emails[type eq "work""#, .invalidFilter),
            (#"emails[type zz "work"]"#, .invalidFilter),
            ("emails[]", .invalidFilter),
            (#"emails[type eq "work"].1x"#, .invalidPath),
        ])
    func badPatchPaths(text: String, type: SCIMErrorType) {
        #expect {
            _ = try AttributePath.parsePatchPath(text)
        } throws: { ($0 as? SCIMError)?.scimType == type }
    }

    @Test(
        "resolution gives the schema's spelling",
        arguments: [
            ("USERNAME", "userName"),
            ("name.GIVENNAME", "name.givenName"),
            ("urn:ietf:params:scim:schemas:core:2.0:User:displayName", "displayName"),
            (
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Manager.Value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
            ),
            ("meta.LASTMODIFIED", "meta.lastModified"),
            ("ID", "id"),
            ("externalid", "externalId"),
        ])
    func resolve(text: String, canonical: String) throws {
        #expect(try AttributePath(parsing: text).resolved(against: userType).description == canonical)
    }

    @Test("PATCH path value filters resolve relative to their attribute")
    func resolveValueFilter() throws {
        let path = try AttributePath.parsePatchPath(#"EMAILS[TYPE eq "work"].VALUE"#).resolved(against: userType)
        #expect(path.description == #"emails[type eq "work"].value"#)
    }

    @Test(
        "unknown attributes name themselves",
        arguments: [
            ("nickname2", "nickname2"),
            ("name.nickName", "name.nickName"),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName"
            ),
            ("urn:example:other:1.0:User:foo", "urn:example:other:1.0:User"),
        ])
    func unknown(text: String, named: String) {
        #expect {
            _ = try AttributePath(parsing: text).resolved(against: userType)
        } throws: { error in
            guard let e = error as? SCIMError else { return false }
            return e.scimType == .invalidPath && e.detail.contains(named)
        }
    }

    @Test("group attributes are not user attributes")
    func wrongType() {
        #expect(throws: SCIMError.self) { _ = try AttributePath(parsing: "members").resolved(against: userType) }
        #expect((try? AttributePath(parsing: "members.value").resolved(against: groupType)) != nil)
    }
}
