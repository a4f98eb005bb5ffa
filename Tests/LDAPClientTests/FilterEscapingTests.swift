import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// Values that try to change a filter's structure or confuse the server: each must match only itself.
enum HostileValues {
    static let all: [(name: String, bytes: [UInt8])] = [
        ("injection", Array("*)(uid=*".utf8)),
        ("backslash", Array(#"a\b"#.utf8)),
        ("escaped-looking", Array(#"\2a\29"#.utf8)),
        ("nul", [0x61, 0x00, 0x62]),
        ("open-paren", Array("(".utf8)),
        ("close-paren", Array(")".utf8)),
        ("star", Array("*".utf8)),
        ("non-ascii", Array("Jörg Müller 東京 🙂".utf8)),
        ("overlong-utf8", [0x61, 0xC0, 0xAF, 0x62]),
        ("control-chars", [0x61, 0x09, 0x0A, 0x0D, 0x1B, 0x7F, 0x62]),
        ("and-or-not", Array("&(|(!(cn=x)))".utf8)),
    ]
}

@Suite("LDAPFilter renders RFC 4515 strings and escapes every value")
struct FilterRenderingTests {
    @Test func everyCaseRenders() {
        #expect(LDAPFilter.equal("uid", "bjensen").description == "(uid=bjensen)")
        #expect(
            LDAPFilter.greaterOrEqual("createTimestamp", "20240101000000Z").description
                == "(createTimestamp>=20240101000000Z)")
        #expect(LDAPFilter.lessOrEqual("uidNumber", "1000").description == "(uidNumber<=1000)")
        #expect(LDAPFilter.approx("cn", Array("Babs".utf8)).description == "(cn~=Babs)")
        #expect(LDAPFilter.present("mail").description == "(mail=*)")
        #expect(LDAPFilter.substrings("cn", initial: "Ba", any: ["b", "s"], final: "J").description == "(cn=Ba*b*s*J)")
        #expect(LDAPFilter.substrings("cn", initial: "Ba").description == "(cn=Ba*)")
        #expect(LDAPFilter.substrings("cn", final: "son").description == "(cn=*son)")
        #expect(LDAPFilter.substrings("cn", any: ["en"]).description == "(cn=*en*)")
        #expect(LDAPFilter.substrings("cn", initial: "a", any: ["", "b"], final: nil).description == "(cn=a*b*)")
        #expect(
            LDAPFilter.extensible("cn", rule: "caseExactMatch", Array("Foo".utf8)).description
                == "(cn:caseExactMatch:=Foo)")
        #expect(LDAPFilter.extensible("cn", rule: "2.5.13.5", Array("Foo".utf8)).description == "(cn:2.5.13.5:=Foo)")
        #expect(LDAPFilter.not(.present("title")).description == "(!(title=*))")
        #expect(
            LDAPFilter.and([.equal("objectClass", "inetOrgPerson"), .or([.equal("uid", "a"), .equal("uid", "b")])])
                .description == "(&(objectClass=inetOrgPerson)(|(uid=a)(uid=b)))")
        #expect(LDAPFilter.alwaysTrue.description == "(&)")
        #expect(LDAPFilter.alwaysFalse.description == "(|)")
        #expect(LDAPFilter.equal("mail;lang-en", "x").description == "(mail;lang-en=x)")
        #expect(LDAPFilter.equal("scimEmail;x-scim-type-work", "x").description == "(scimEmail;x-scim-type-work=x)")
        #expect(LDAPFilter.equal("2.5.4.3", "x").description == "(2.5.4.3=x)")
        #expect(LDAPFilter.equal("uid", "").description == "(uid=)")
    }

    @Test func hostileValuesAreEscaped() {
        #expect(LDAPFilter.equal("uid", "*)(uid=*").description == #"(uid=\2a\29\28uid=\2a)"#)
        #expect(LDAPFilter.escape(#"\"#) == #"\5c"#)
        #expect(LDAPFilter.escape([0x00]) == #"\00"#)
        #expect(LDAPFilter.escape("(") == #"\28"#)
        #expect(LDAPFilter.escape(")") == #"\29"#)
        #expect(LDAPFilter.escape("*") == #"\2a"#)
        #expect(LDAPFilter.escape("é") == #"\c3\a9"#)
        #expect(LDAPFilter.escape("Jörg") == #"J\c3\b6rg"#)
        #expect(LDAPFilter.escape([0xC0, 0xAF]) == #"\c0\af"#)  // overlong "/": passed on as opaque bytes
        #expect(LDAPFilter.escape([0x09, 0x0A, 0x0D, 0x1B, 0x7F]) == #"\09\0a\0d\1b\7f"#)
        #expect(LDAPFilter.escape("plain-value_1.2 x=y&|!~<>:") == "plain-value_1.2 x=y&|!~<>:")
        // substring parts and extensible values are escaped too
        #expect(
            LDAPFilter.substrings("cn", initial: "*", any: [")("], final: #"\"#).description
                == #"(cn=\2a*\29\28*\5c)"#)
        #expect(
            LDAPFilter.extensible("cn", rule: "caseExactMatch", Array("*)".utf8)).description
                == #"(cn:caseExactMatch:=\2a\29)"#)
        #expect(LDAPFilter.greaterOrEqual("cn", "*)(").description == #"(cn>=\2a\29\28)"#)
        #expect(LDAPFilter.lessOrEqual("cn", "*)(").description == #"(cn<=\2a\29\28)"#)
        #expect(LDAPFilter.approx("cn", Array("*)(".utf8)).description == #"(cn~=\2a\29\28)"#)
    }

    /// Every possible byte: the rendered value is printable ASCII without a structural character, and unescaping
    /// it gives back exactly the original bytes.
    @Test func everyByteRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        let escaped = LDAPFilter.escape(all)
        #expect(escaped.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        let structural = escaped.utf8.filter { [0x2A, 0x28, 0x29, 0x00].contains($0) }
        #expect(structural.isEmpty)
        #expect(LDAPTestSupport.unescapeFilterValue(escaped) == all)
        for value in HostileValues.all {
            let rendered = LDAPFilter.escape(value.bytes)
            #expect(LDAPTestSupport.unescapeFilterValue(rendered) == value.bytes, "\(value.name)")
            #expect(!rendered.contains("*") && !rendered.contains("(") && !rendered.contains(")"), "\(value.name)")
        }
    }

    @Test func illegalAttributeNamesAreNeutralised() {
        let hostileNames = [
            "uid=*)(objectClass", "uid)(|(uid=*", "", "cn~", "cn:dn", "uid ", "u*d", "ui\u{0}d", "üid",
            "cn>", "cn<", "(cn", "cn\\2a",
        ]
        for name in hostileNames {
            #expect(LDAPFilter.equal(name, "x").description == "(x-invalid-attribute=x)", "\(name.debugDescription)")
            #expect(LDAPFilter.present(name).description == "(x-invalid-attribute=*)", "\(name.debugDescription)")
            #expect(
                LDAPFilter.substrings(name, initial: "x").description == "(x-invalid-attribute=x*)",
                "\(name.debugDescription)")
            #expect(LDAPFilter.greaterOrEqual(name, "x").description == "(x-invalid-attribute>=x)")
            #expect(LDAPFilter.lessOrEqual(name, "x").description == "(x-invalid-attribute<=x)")
            #expect(LDAPFilter.approx(name, [0x78]).description == "(x-invalid-attribute~=x)")
        }
        #expect(
            LDAPFilter.extensible("cn", rule: "caseExactMatch:=x)(uid=*", [0x78]).description
                == "(cn:x-invalid-attribute:=x)")
        #expect(
            LDAPFilter.extensible("cn)(uid=*", rule: "caseExactMatch", [0x78]).description
                == "(x-invalid-attribute:caseExactMatch:=x)")
    }
}

@Suite("Hostile filter values against slapd, as the service account")
struct FilterInjectionIntegrationTests {
    /// For each hostile value, a user whose `description` (or, where the directoryString syntax refuses the
    /// bytes, the octet-string `scimX509Certificate`) holds it; an equality search must find exactly that user.
    @Test func hostileValuesMatchOnlyThemselves() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let ou = try await LDAPTestSupport.addOU(TestDirectory.unique("inject"), in: slapd, connection: connection)
        var created: [(name: String, dn: String, attribute: String, bytes: [UInt8])] = []
        var refused: [String] = []
        for value in HostileValues.all {
            let uid = TestDirectory.unique("inj-\(value.name)")
            let dn = "uid=\(uid),\(ou)"
            var attributes: [(String, [[UInt8]])] = [
                ("objectClass", [Array("inetOrgPerson".utf8), Array("scimUser".utf8)]), ("uid", [Array(uid.utf8)]),
                ("sn", [Array("Tester".utf8)]),
            ]
            var refusal: LDAPError?
            do {
                _ = try await connection.add(
                    dn: dn,
                    attributes: attributes + [
                        ("cn", [value.bytes]),
                        ("description", [value.bytes]),
                    ])
            } catch {
                refusal = error
            }
            guard let refusal else {
                created.append((value.name, dn, "description", value.bytes))
                continue
            }
            // Not a directoryString: slapd refuses it in description; store it in an octet string instead.
            #expect(refusal.code == .invalidAttributeSyntax, "\(value.name): \(refusal.logDescription)")
            refused.append(value.name)
            attributes += [("cn", [Array(uid.utf8)]), ("scimX509Certificate", [value.bytes])]
            _ = try await connection.add(dn: dn, attributes: attributes)
            created.append((value.name, dn, "scimX509Certificate", value.bytes))
            // searching description for such a value: no match, and no error
            let none = try await connection.search(
                base: ou, scope: .oneLevel, filter: .equal("description", value.bytes),
                attributes: ["1.1"])
            #expect(none.entries.isEmpty, "\(value.name)")
        }
        print("values refused by the directoryString syntax: \(refused)")
        #expect(refused == ["overlong-utf8"])
        for item in created {
            let found = try await connection.search(
                base: ou, scope: .oneLevel, filter: .equal(item.attribute, item.bytes),
                attributes: [item.attribute])
            #expect(found.entries.map { $0.dn.lowercased() } == [item.dn.lowercased()], "\(item.name)")
            #expect(found.entries.first?.values(item.attribute) == [item.bytes], "\(item.name)")
            // inside a compound filter too
            let compound = try await connection.search(
                base: ou, scope: .oneLevel,
                filter: .and([.equal("objectClass", "inetOrgPerson"), .equal(item.attribute, item.bytes)]),
                attributes: ["1.1"])
            #expect(compound.entries.count == 1, "\(item.name)")
        }
        let all = try await connection.search(
            base: ou, scope: .oneLevel, filter: .equal("objectClass", "inetOrgPerson"),
            attributes: ["1.1"])
        #expect(all.entries.count == HostileValues.all.count)
        // "*" in an equality value is a literal: it matches no uid at all
        let star = try await connection.search(base: slapd.suffix, filter: .equal("uid", "*"), attributes: ["1.1"])
        #expect(star.entries.isEmpty)
        let injected = try await connection.search(
            base: slapd.suffix, filter: .equal("uid", "*)(uid=*"),
            attributes: ["1.1"])
        #expect(injected.entries.isEmpty)
        // an attribute name that tries to inject structure matches nothing and is not an error
        let badName = try await connection.search(
            base: ou, scope: .oneLevel, filter: .present("uid=*)(objectClass"),
            attributes: ["1.1"])
        #expect(badName.entries.isEmpty)
        // hostile substring parts are literals as well
        let injection = try #require(created.first { $0.name == "injection" })
        let substring = try await connection.search(
            base: ou, scope: .oneLevel,
            filter: .substrings("description", any: [")(uid="]), attributes: ["1.1"])
        #expect(substring.entries.map { $0.dn.lowercased() } == [injection.dn.lowercased()])
        let starPrefix = try await connection.search(
            base: ou, scope: .oneLevel,
            filter: .substrings("cn", initial: "*", final: "*"),
            attributes: ["1.1"])
        #expect(starPrefix.entries.map { $0.dn.lowercased() } == [injection.dn.lowercased()])
        // RFC 4526 absolute true and false
        let everything = try await connection.search(base: ou, scope: .oneLevel, filter: .alwaysTrue, attributes: ["1.1"])
        #expect(everything.entries.count == HostileValues.all.count)
        let nothing = try await connection.search(base: ou, scope: .oneLevel, filter: .alwaysFalse, attributes: ["1.1"])
        #expect(nothing.entries.isEmpty)
        let negated = try await connection.search(
            base: ou, scope: .oneLevel, filter: .and([.present("uid"), .not(.equal("description", injection.bytes))]),
            attributes: ["1.1"])
        #expect(negated.entries.count == HostileValues.all.count - 1)
        for item in created { _ = try await connection.delete(dn: item.dn) }
        _ = try await connection.delete(dn: ou)
    }
}
