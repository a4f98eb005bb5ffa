import Testing
import SCIMCore

@Suite("In-memory filter evaluation")
struct FilterEvaluatorTests {
    @Test(
        "against RFC 7643 §8.2's bjensen",
        arguments: [
            (#"userName eq "bjensen@example.com""#, true),
            (#"userName eq "BJENSEN@EXAMPLE.COM""#, true),  // caseExact false
            (#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),  // id is caseExact
            (#"userName ne "bjensen@example.com""#, false),
            (#"userName co "jensen""#, true),
            (#"userName sw "bj""#, true),
            (#"userName ew ".com""#, true),
            (#"userName ew ".org""#, false),
            ("title pr", true),
            ("nickName pr", false),
            (#"nickName ne "x""#, true),
            ("nickName eq null", true),
            ("title eq null", false),
            ("active eq true", true),
            (#"active eq "True""#, true),
            ("active eq false", false),
            (#"name.familyName eq "jensen""#, true),
            (#"emails.value co "jensen.org""#, true),
            (#"emails co "jensen.org""#, true),
            (#"emails[type eq "work" and value co "@example.com"]"#, true),
            (#"emails[type eq "home" and value co "@example.com"]"#, false),
            (#"emails[type eq "work"].value eq "bjensen@example.com""#, true),
            (#"emails[type eq "work"].value eq "babs@jensen.org""#, false),
            (#"emails[not (type eq "work")]"#, true),
            (#"emails[primary eq true and type eq "home"]"#, false),
            (#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
            (#"meta.lastModified gt "2011-05-13T06:42:33+02:00""#, true),
            (#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
            (#"meta.lastModified le "2011-05-13T04:42:34.000Z""#, true),
            (#"meta.created ge "2010-01-01T00:00:00Z" and meta.created lt "2011-01-01T00:00:00Z""#, true),
            (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Tour Operations""#, true),
            (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#, true),
            (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter pr"#, false),
            (#"userType eq "Employee" and (emails.type eq "work")"#, true),
            (#"userType eq "Intern" or not (title pr)"#, false),
            (#"title gt "A" and title lt "Z""#, true),
            (#"externalId eq "701984""#, true),
        ])
    func evaluate(text: String, expected: Bool) throws {
        let filter = try SCIMFilter.parse(text).resolved(against: userType)
        #expect(filter.matches(bjensen, type: userType) == expected)
    }

    @Test("numbers compare numerically")
    func numbers() throws {
        let resource: JSONValue = ["n": 10, "d": 2.5, "s": "10"]
        #expect(try SCIMFilter.parse("n gt 9").matches(resource))
        #expect(try SCIMFilter.parse("n eq 10.0").matches(resource))
        #expect(try SCIMFilter.parse("d lt 3").matches(resource))
        #expect(try !SCIMFilter.parse("n co 1").matches(resource))
        #expect(try !SCIMFilter.parse("s eq 10").matches(resource))
    }

    @Test("without a schema strings compare ignoring case")
    func noSchema() throws {
        #expect(try SCIMFilter.parse(#"userName eq "BJENSEN@example.com""#).matches(bjensen))
        #expect(try SCIMFilter.parse(#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "tour""#).matches(bjensen))
    }

    @Test("a star is no wildcard")
    func star() throws {
        #expect(try !SCIMFilter.parse(#"userName eq "*""#).matches(bjensen))
    }
}
