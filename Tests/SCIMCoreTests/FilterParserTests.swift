import Testing
import SCIMCore

@Suite("Filter parser (RFC 7644 §3.4.2.2)")
struct FilterParserTests {
    /// Filter text and its canonical form (`SCIMFilter.description`).
    static let valid: [(String, String)] = [
        // Each operator, including the RFC's own examples.
        (#"userName eq "bjensen""#, #"userName eq "bjensen""#),
        (#"name.familyName co "O'Malley""#, #"name.familyName co "O'Malley""#),
        (#"userName sw "J""#, #"userName sw "J""#),
        (#"userName ew "sen""#, #"userName ew "sen""#),
        (#"title ne "boss""#, #"title ne "boss""#),
        ("title pr", "title pr"),
        (#"meta.lastModified gt "2011-05-13T04:42:34Z""#, #"meta.lastModified gt "2011-05-13T04:42:34Z""#),
        (#"meta.lastModified ge "2011-05-13T04:42:34Z""#, #"meta.lastModified ge "2011-05-13T04:42:34Z""#),
        (#"meta.lastModified lt "2011-05-13T04:42:34Z""#, #"meta.lastModified lt "2011-05-13T04:42:34Z""#),
        (#"meta.lastModified le "2011-05-13T04:42:34Z""#, #"meta.lastModified le "2011-05-13T04:42:34Z""#),
        (#"title pr and userType eq "Employee""#, #"(title pr and userType eq "Employee")"#),
        (#"title pr or userType eq "Intern""#, #"(title pr or userType eq "Intern")"#),
        (#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
         #"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#),
        (#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
         #"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))"#),
        (#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
         #"(userType ne "Employee" and not ((emails co "example.com" or emails.value co "example.org")))"#),
        (#"userType eq "Employee" and (emails.type eq "work")"#, #"(userType eq "Employee" and emails.type eq "work")"#),
        (#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
         #"(userType eq "Employee" and emails[(type eq "work" and value co "@example.com")])"#),
        (#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
         #"(emails[(type eq "work" and value co "@example.com")] or ims[(type eq "xmpp" and value co "@foo.com")])"#),
        // Precedence: not > and > or; left associativity.
        ("a pr or b pr and c pr", "(a pr or (b pr and c pr))"),
        ("a pr and b pr or c pr", "((a pr and b pr) or c pr)"),
        ("a pr and b pr and c pr", "((a pr and b pr) and c pr)"),
        ("a pr or b pr or c pr", "((a pr or b pr) or c pr)"),
        ("(a pr or b pr) and c pr", "((a pr or b pr) and c pr)"),
        ("not (a pr) and b pr", "(not (a pr) and b pr)"),
        ("not(a pr)", "not (a pr)"),
        ("not (not (a pr))", "not (not (a pr))"),
        ("((a pr))", "a pr"),
        // Case-insensitive operators and keywords; names kept as written until resolved.
        (#"USERNAME EQ "x""#, #"USERNAME eq "x""#),
        ("a PR AND b Pr OR NOT (c pR)", "((a pr and b pr) or not (c pr))"),
        // Literals.
        ("active eq true", "active eq true"),
        ("active eq FALSE", "active eq false"),
        ("title eq null", "title eq null"),
        ("count gt 10", "count gt 10"),
        ("count ge -3", "count ge -3"),
        ("score lt 2.5", "score lt 2.5"),
        ("score le 1e3", "score le 1000.0"),
        (#"userName eq "a\"b\\c\u00e9""#, #"userName eq "a\"b\\cé""#),
        (#"userName eq """#, #"userName eq """#),
        (#"userName eq "with spaces and (parens) [and] brackets""#, #"userName eq "with spaces and (parens) [and] brackets""#),
        (#"userName eq "*""#, #"userName eq "*""#),
        // URN-qualified paths.
        (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
         #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#),
        (#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
         #"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#),
        (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#,
         #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#),
        // Whitespace.
        ("  title   pr  ", "title pr"),
        ("(title pr)and(userName pr)", "(title pr and userName pr)"),
        // Clients: Entra's value path with a trailing sub-attribute; Okta/Rauthy lookups.
        (#"emails[type eq "work"].value eq "a@example.com""#, #"emails[(type eq "work" and value eq "a@example.com")]"#),
        (#"emails[type eq "work"].value pr"#, #"emails[(type eq "work" and value pr)]"#),
        (#"externalId eq "00u1""#, #"externalId eq "00u1""#),
        (#"members[value eq "2819c223"]"#, #"members[value eq "2819c223"]"#),
        ("members.$ref pr", "members.$ref pr"),
        (#"emails[not (type eq "work")]"#, #"emails[not (type eq "work")]"#),
    ]

    @Test("valid filters and their AST", arguments: valid)
    func parses(text: String, canonical: String) throws {
        let filter = try SCIMFilter.parse(text)
        #expect(filter.description == canonical)
        // The canonical form parses back to the same AST.
        #expect(try SCIMFilter.parse(canonical) == filter)
    }

    @Test("AST shape")
    func shape() throws {
        let filter = try SCIMFilter.parse(#"userName eq "x" or not (emails[type eq "work"]) and active eq true"#)
        let expected = SCIMFilter.or(
            .compare(AttributePath(attribute: "userName"), .eq, "x"),
            .and(
                .not(.valuePath(AttributePath(attribute: "emails"), .compare(AttributePath(attribute: "type"), .eq, "work"))),
                .compare(AttributePath(attribute: "active"), .eq, true)
            )
        )
        #expect(filter == expected)
        #expect(try SCIMFilter.parse("urn:a:b:c.d pr") == .present(AttributePath(schemaURN: "urn:a:b", attribute: "c", subAttribute: "d")))
    }

    /// Filter text and a fragment the error detail must contain.
    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("   ", "empty"),
        ("userName", "operator"),
        ("userName eq", "value"),
        ("userName eq bjensen", "quoted"),
        (#"userName xx "a""#, "Unknown operator"),
        (#"userName eq "a"#, "unterminated"),
        (#"userName eq "a\q""#, "string literal"),
        (#"(userName eq "a""#, "\")\""),
        (#"userName eq "a")"#, "Unexpected"),
        (#"userName eq "a" and"#, "ends"),
        (#"and userName eq "a""#, "attribute name"),
        (#"userName eq "a" userName eq "b""#, "Unexpected"),
        (#"not userName eq "a""#, "\"(\""),
        (#"emails[type eq "work""#, "\"]\""),
        (#"emails[type eq "work"]]"#, "Unexpected"),
        (#"emails[types[value eq "x"]]"#, "nested"),
        (#"name.givenName[value eq "x"]"#, "top-level"),
        ("1abc pr", "Invalid attribute path"),
        ("user:name pr", "Invalid attribute path"),
        ("a.b.c pr", "Invalid attribute path"),
        ("count gt 1.2.3", "quoted"),
        ("count gt 01", "quoted"),
        ("title pr pr", "Unexpected"),
        (#"userName eq ["a"]"#, "value"),
        ("()", "Unexpected"),
        (#"emails[type eq "work"].1x eq "y""#, "sub-attribute"),
    ]

    @Test("invalid filters are 400 invalidFilter with a clear detail", arguments: invalid)
    func rejects(text: String, fragment: String) {
        do {
            let filter = try SCIMFilter.parse(text)
            Issue.record("accepted: \(filter)")
        } catch {
            #expect(error.status == 400)
            #expect(error.scimType == .invalidFilter)
            #expect(error.detail.lowercased().contains(fragment.lowercased()), "\(error.detail)")
        }
    }

    struct LimitCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var limits = FilterLimits.default
        var fragment: String
        var testDescription: String { name }
    }

    @Test("limits", arguments: [
        LimitCase(name: "length", text: String(repeating: "x", count: 5000) + " pr", fragment: "longer"),
        LimitCase(name: "parentheses", text: String(repeating: "(", count: 17) + "a pr" + String(repeating: ")", count: 17), fragment: "deeper"),
        LimitCase(name: "not", text: String(repeating: "not (", count: 17) + "a pr" + String(repeating: ")", count: 17), fragment: "deeper"),
        LimitCase(name: "terms", text: (1...65).map { "a\($0) pr" }.joined(separator: " or "), fragment: "more than 64"),
        LimitCase(name: "huge length", text: String(repeating: "(", count: 100_000), fragment: "longer"),
        LimitCase(
            name: "hostile nesting under a generous length limit", text: String(repeating: "not (", count: 100_000),
            limits: FilterLimits(maxLength: 1 << 22), fragment: "deeper"
        ),
        LimitCase(
            name: "value path depth", text: #"((emails[type eq "work"]))"#,
            limits: FilterLimits(maxDepth: 2), fragment: "deeper"
        ),
    ])
    func limits(c: LimitCase) {
        do {
            _ = try SCIMFilter.parse(c.text, limits: c.limits)
            Issue.record("accepted")
        } catch {
            #expect(error.scimType == .invalidFilter)
            #expect(error.detail.contains(c.fragment), "\(error.detail)")
        }
    }

    @Test("deep nesting within the limit parses")
    func deepButAllowed() throws {
        let limits = FilterLimits(maxLength: 1 << 20, maxDepth: 2000, maxTerms: 10)
        let text = String(repeating: "(", count: 2000) + "a pr" + String(repeating: ")", count: 2000)
        #expect(try SCIMFilter.parse(text, limits: limits) == .present(AttributePath(attribute: "a")))
    }

    @Test("random input never crashes the parser")
    func fuzz() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "emails", " ", "(", ")", "[", "]", "\"x\"", "\"", "eq", "pr", "and", "or", "not", ".", "1", ":", "\\", "urn:", "true"]
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0..<25, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            if let filter = try? SCIMFilter.parse(text) {
                _ = filter.description
                _ = filter.matches(bjensen)
            }
        }
    }
}
