import SCIMCore
import Testing

@Suite("Case-insensitive names")
struct CaseInsensitiveTests {
    @Test(arguments: [
        ("userName", "USERNAME", true), ("userName", "username", true), ("emails", "email", false), ("", "", true),
        ("a", "", false), ("urn:ietf:params:scim:schemas:core:2.0:User", "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", true),
        ("[", "{", false), ("@", "`", false), ("Jörg", "JÖRG", true), ("straße", "STRASSE", false), ("ÉMILE", "émile", true),
        ("K", "\u{212A}", true),
    ])
    func equality(lhs: String, rhs: String, equal: Bool) {
        #expect(lhs.caseInsensitiveEquals(rhs) == equal)
        #expect(rhs.caseInsensitiveEquals(lhs) == equal)
        #expect(lhs.caseInsensitiveEquals(rhs) == (lhs.lowercased() == rhs.lowercased()))
        // Strings take the in-place path, substrings the generic one: both answer alike.
        #expect(Substring(lhs).caseInsensitiveEquals(Substring(rhs)) == equal)
        #expect(lhs.caseInsensitiveEquals(Substring(rhs)) == equal)
    }
}
