import Testing
import SCIMCore
import SCIMTestSupport

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
        (
            #"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            #"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#
        ),
        (
            #"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            #"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))"#
        ),
        (
            #"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            #"(userType ne "Employee" and not ((emails co "example.com" or emails.value co "example.org")))"#
        ),
        (#"userType eq "Employee" and (emails.type eq "work")"#, #"(userType eq "Employee" and emails.type eq "work")"#),
        (
            #"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            #"(userType eq "Employee" and emails[(type eq "work" and value co "@example.com")])"#
        ),
        (
            #"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            #"(emails[(type eq "work" and value co "@example.com")] or ims[(type eq "xmpp" and value co "@foo.com")])"#
        ),
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
        // Literals without escapes are taken as they are: non-ASCII, DEL and a slash included.
        ("userName eq \"jos\u{E9} \u{65E5}\u{672C}/\u{7F}\"", "userName eq \"jos\u{E9} \u{65E5}\u{672C}/\u{7F}\""),
        // URN-qualified paths.
        (
            #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#,
            #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915""#
        ),
        (
            #"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            #"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#
        ),
        (
            #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#,
            #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#
        ),
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
        // A raw control character is not a JSON string, escaped or not.
        ("userName eq \"a\tb\"", "string literal"),
        ("userName eq \"a\u{1}b\\n\"", "string literal"),
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

    @Test(
        "limits",
        arguments: [
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

    /// A filter from a small grammar, so most inputs are valid; `mutate` then breaks some of them.
    static func generatedFilter(_ generator: inout SeededGenerator, depth: Int = 0) -> String {
        let attributes = ["userName", "emails", "emails.value", "name.givenName", "meta.created", "title", "active", "x"]
        let operators = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
        let values = [#""bjensen""#, #""a\"b""#, "true", "false", "null", "1", "1.5", #""2011-05-13T04:42:34Z""#, #""""#]
        switch Int.random(in: 0..<(depth > 3 ? 3 : 7), using: &generator) {
        case 0: return "\(attributes.randomElement(using: &generator)!) pr"
        case 1, 2:
            return
                "\(attributes.randomElement(using: &generator)!) \(operators.randomElement(using: &generator)!) \(values.randomElement(using: &generator)!)"
        case 3: return "not (\(generatedFilter(&generator, depth: depth + 1)))"
        case 4: return "emails[type eq \"work\" and \(generatedFilter(&generator, depth: 4))]"
        case 5: return "(\(generatedFilter(&generator, depth: depth + 1)) and \(generatedFilter(&generator, depth: depth + 1)))"
        default: return "\(generatedFilter(&generator, depth: depth + 1)) or \(generatedFilter(&generator, depth: depth + 1))"
        }
    }

    /// Seeded, so every run sees the same 3000 inputs (change the seed to explore; a failure names the input).
    @Test("generated filters: refused as invalidFilter, or parsed and printed to the same filter")
    func generatedFilters() throws {
        var generator = SeededGenerator(seed: 0x5C1A_0002)
        let pieces = ["a", "emails", " ", "(", ")", "[", "]", "\"x\"", "\"", "eq", "pr", "and", "or", "not", ".", "1", ":", "\\", "urn:", "true"]
        let generous = FilterLimits(maxLength: 1 << 16, maxDepth: 1000, maxTerms: 1000)
        var accepted = 0, refused = 0
        for _ in 0..<3000 {
            var text = Self.generatedFilter(&generator)
            if Bool.random(using: &generator) {
                // Break it: a piece inserted or a character dropped somewhere.
                var characters = Array(text)
                let at = Int.random(in: 0...characters.count, using: &generator)
                if Bool.random(using: &generator), at < characters.count {
                    characters.remove(at: at)
                } else {
                    characters.insert(contentsOf: pieces.randomElement(using: &generator)!, at: at)
                }
                text = String(characters)
            }
            let filter: SCIMFilter
            do {
                filter = try SCIMFilter.parse(text)
            } catch {
                #expect(error.scimType == .invalidFilter && error.status == 400, "\(text.debugDescription): \(error.detail)")
                refused += 1
                continue
            }
            accepted += 1
            // The canonical text parses back to the same tree (the evaluator must also not trap on it).
            #expect((try? SCIMFilter.parse(filter.description, limits: generous)) == filter, "\(text.debugDescription)")
            _ = filter.matches(bjensen)
        }
        #expect(accepted > 0 && refused > 0, "the generator exercised only one side: \(accepted) accepted, \(refused) refused")
    }
}
