import Foundation
import LDAPClient
import SlapdHarness
import Testing

@Suite("DistinguishedName parsing and RFC 4514 escaping")
struct DistinguishedNameTests {
    typealias AVA = DistinguishedName.AttributeValueAssertion

    @Test func multiValuedRDN() throws {
        let dn = try DistinguishedName("cn=a+uid=b,dc=x")
        #expect(dn.rdns.count == 2)
        #expect(dn.rdns[0].assertions == [AVA("cn", "a"), AVA("uid", "b")])
        #expect(dn.rdns[1].assertions == [AVA("dc", "x")])
        #expect(dn.description == "cn=a+uid=b,dc=x")
        #expect(try DistinguishedName(dn.description) == dn)
        // the normalized key does not depend on the order of the assertions or on case
        #expect(try DistinguishedName("UID=B+CN=A,DC=X").normalized == dn.normalized)
        // an escaped plus is part of the value, not a separator
        let escaped = try DistinguishedName(#"cn=a\+uid=b,dc=x"#)
        #expect(escaped.rdns[0].assertions == [AVA("cn", "a+uid=b")])
    }

    @Test func specialCharactersRoundTrip() throws {
        let values = [
            "#lead", "mid#hash", "a+b", "a,b", "a=b", #"a\b"#, #"a"b"#, "a;b", "a<b", "a>b", " lead", "trail ",
            "  both  ", " ", "in  side", #"+,=\";<>#"#, "Jörg Müller", "東京", "🙂", "a\u{7F}b", "tab\there",
            "new\nline", #"\41"#, "#", "",
        ]
        for value in values {
            let escaped = DistinguishedName.escape(value)
            let parsed = try DistinguishedName("uid=\(escaped),ou=people,dc=example,dc=org")
            #expect(parsed.rdns.count == 4, "\(value.debugDescription) → \(escaped)")
            #expect(parsed.rdns[0].assertions.count == 1, "\(value.debugDescription) → \(escaped)")
            #expect(parsed.rdns[0].assertions.first?.value == Array(value.utf8), "\(value.debugDescription) → \(escaped)")
            // rendering again gives the same string
            #expect(parsed.rdns[0].description == "uid=\(escaped)")
        }
        #expect(DistinguishedName.escape("#lead") == "\\#lead")
        #expect(DistinguishedName.escape("mid#hash") == "mid#hash")
        #expect(DistinguishedName.escape(#"+,=\";<>"#) == #"\+\,\=\\\"\;\<\>"#)
        #expect(DistinguishedName.escape(" lead") == #"\ lead"#)
        #expect(DistinguishedName.escape("trail ") == #"trail\ "#)
        #expect(DistinguishedName.escape("in  side") == "in  side")
        #expect(DistinguishedName.escape("Jörg Müller") == "Jörg Müller")
        #expect(DistinguishedName.escape([0x61, 0x00, 0x0A]) == #"a\00\0a"#)
    }

    /// Any byte string survives escape → parse, including bytes that are not UTF-8.
    @Test func arbitraryBytesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        var samples: [[UInt8]] = [
            (0...255).map { UInt8($0) }, [0xC0, 0xAF], [0xFF], [0xC3], [0x20, 0xC3, 0xA9, 0x20],
            [0x23, 0x30, 0x34],
        ]
        for _ in 0..<300 {
            let length = Int(generator.next(upperBound: UInt64(12)))
            samples.append((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        }
        for bytes in samples {
            let escaped = DistinguishedName.escape(bytes)
            let parsed = try DistinguishedName("cn=\(escaped),dc=x")
            #expect(parsed.rdns.first?.assertions.first?.value == bytes, "\(bytes) → \(escaped)")
            #expect(parsed.rdns.count == 2, "\(bytes) → \(escaped)")
        }
        // bytes that are not UTF-8 come out hex-escaped, so the DN string is plain ASCII
        #expect(DistinguishedName.escape([0x61, 0xC0, 0xAF]) == #"a\c0\af"#)
        #expect(DistinguishedName.escape([0xFF]) == #"\ff"#)
    }

    @Test func nonASCIIAndHexEscapedValues() throws {
        let readable = try DistinguishedName("cn=Jörg Müller,dc=example,dc=org")
        #expect(readable.rdns[0].assertions[0].stringValue == "Jörg Müller")
        #expect(readable.rdns[0].assertions[0].value == Array("Jörg Müller".utf8))
        #expect(readable.description == "cn=Jörg Müller,dc=example,dc=org")

        let hex = try DistinguishedName(#"cn=\4a\c3\b6rg,dc=x"#)
        #expect(hex.rdns[0].assertions[0].value == Array("Jörg".utf8))
        #expect(hex.description == "cn=Jörg,dc=x")
        #expect(try DistinguishedName(#"cn=\4A\C3\B6RG,dc=x"#).rdns[0].assertions[0].stringValue == "JöRG")
        #expect(try DistinguishedName(#"cn=a\2cb\2Bc,dc=x"#).rdns[0].assertions[0].stringValue == "a,b+c")
        #expect(try DistinguishedName("cn=\\#x,dc=x").rdns[0].assertions[0].stringValue == "#x")
        #expect(try DistinguishedName(#"cn=x\ ,dc=x"#).rdns[0].assertions[0].stringValue == "x ")
        // unescaped spaces around values and separators are insignificant
        let spaced = try DistinguishedName("cn = a b  ,  dc=x ")
        #expect(spaced.rdns[0].assertions[0].stringValue == "a b")
        #expect(spaced.rdns[1].assertions[0].stringValue == "x")
    }

    @Test func berHexForm() throws {
        let dn = try DistinguishedName("cn=#04024869,dc=x")
        // kept as the raw bytes of the BER encoding (an OCTET STRING holding "Hi")
        #expect(dn.rdns[0].assertions[0].value == [0x04, 0x02, 0x48, 0x69])
        #expect(dn.rdns[1].assertions[0].stringValue == "x")
        #expect(
            try DistinguishedName("cn=#04024869+uid=#0401ff,dc=x").rdns[0].assertions.map(\.value)
                == [[0x04, 0x02, 0x48, 0x69], [0x04, 0x01, 0xFF]])
        // the rendered form re-parses to the same bytes
        #expect(try DistinguishedName(dn.description) == dn)
        #expect(throws: DNParseError.self) { try DistinguishedName("cn=#,dc=x") }
        #expect(throws: DNParseError.self) { try DistinguishedName("cn=#0402486,dc=x") }  // odd digit count
        #expect(throws: DNParseError.self) { try DistinguishedName("cn=#04zz,dc=x") }
    }

    @Test(arguments: [
        "cn=a,", "=x", "cn", "cn=a\\", "cn=a,,dc=x", ",cn=a", "cn=a+", "cn=a\"b", "cn=a<b", "cn=a>b",
        "c n=a", "cn=a\\zz", "cn=a,dc", "cn=a\u{0}b",
    ])
    func invalidInputThrows(_ text: String) {
        #expect(throws: DNParseError.self, "\(text.debugDescription)") { try DistinguishedName(text) }
    }

    @Test func errorReportsOffset() {
        do {
            _ = try DistinguishedName("cn=a,dc")
            Issue.record("parsed an invalid DN")
        } catch {
            #expect(error.offset == 7)
            #expect(error.description.contains("byte 7"))
        }
    }

    @Test func emptyDN() throws {
        #expect(try DistinguishedName("").rdns.isEmpty)
        #expect(try DistinguishedName("").description == "")
        #expect(try DistinguishedName("").parent == nil)
    }

    @Test func parentChildAndDescendant() throws {
        let people = try DistinguishedName("ou=people,dc=example,dc=org")
        let user = try DistinguishedName("uid=a\\,b,ou=people,dc=example,dc=org")
        #expect(user.parent == people)
        #expect(user.rdn == DistinguishedName.RDN("uid", "a,b"))
        #expect(try DistinguishedName("dc=org").parent == nil)
        #expect(people.child(DistinguishedName.RDN("uid", "a,b")) == user)
        #expect(people.child(DistinguishedName.RDN("uid", "a,b")).description == #"uid=a\,b,ou=people,dc=example,dc=org"#)
        #expect(
            people.child(DistinguishedName.RDN([AVA("cn", "x"), AVA("uid", "y")])).description
                == "cn=x+uid=y,ou=people,dc=example,dc=org")

        #expect(user.isDescendant(of: people))
        #expect(people.isDescendant(of: people))
        #expect(user.isDescendant(of: try DistinguishedName("DC=Example, DC=ORG")))
        #expect(try DistinguishedName("UID=A\\,B,OU=People,DC=example,DC=org").isDescendant(of: people))
        #expect(!people.isDescendant(of: user))
        #expect(!user.isDescendant(of: try DistinguishedName("ou=groups,dc=example,dc=org")))
        #expect(!user.isDescendant(of: try DistinguishedName("ou=people,dc=example,dc=com")))
        // a suffix match on the string is not enough: "ou=xpeople" is not below "ou=people"
        #expect(!(try DistinguishedName("uid=a,ou=xpeople,dc=example,dc=org")).isDescendant(of: people))
        #expect(user.isDescendant(of: try DistinguishedName("")))
    }
}

@Suite("Hostile DN values against slapd, as the service account")
struct DistinguishedNameIntegrationTests {
    @Test func hostileUIDsRoundTripThroughTheServer() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let ou = try await LDAPTestSupport.addOU(TestDirectory.unique("dn"), in: slapd, connection: connection)
        let ouDN = try DistinguishedName(ou)
        let token = UUID().uuidString.prefix(6).lowercased()
        // each value distinct even after insignificant-space folding (" x" and "x " are the same uid to slapd)
        let uids = [
            "#\(token)a", "\(token)b+x", "\(token)c,x", "\(token)d=x", #"\#(token)e\x"#, #"\#(token)f"x"#,
            "\(token)g;x", "\(token)h<x>", " \(token)i", "\(token)j ", "Jörg Müller \(token)k", "\(token)l 東京",
            #"\#(token)m+,=\";<>#"#, "\(token)n\\41", "  \(token)o  p  ",
        ]
        var dns: [String] = []
        for uid in uids {
            let dn = ouDN.child(DistinguishedName.RDN("uid", uid)).description
            _ = try await connection.add(
                dn: dn,
                attributes: [
                    ("objectClass", [Array("inetOrgPerson".utf8)]), ("uid", [Array(uid.utf8)]), ("cn", [Array(uid.utf8)]),
                    ("sn", [Array("Tester".utf8)]),
                ])
            dns.append(dn)
        }
        for (uid, dn) in zip(uids, dns) {
            let found = try await connection.search(base: dn, scope: .base, attributes: ["uid"])
            let entry = try #require(found.entries.first, "\(uid.debugDescription)")
            #expect(entry.values("uid") == [Array(uid.utf8)], "\(uid.debugDescription)")
            // the DN as slapd writes it parses to the same value
            let returned = try DistinguishedName(entry.dn)
            #expect(returned.rdn?.assertions.first?.value == Array(uid.utf8), "\(uid.debugDescription) ← \(entry.dn)")
            #expect(returned.normalized == (try DistinguishedName(dn)).normalized)
            #expect(returned.isDescendant(of: ouDN))
        }
        let listed = try await connection.search(base: ou, scope: .oneLevel, attributes: ["uid"])
        #expect(Set(listed.entries.compactMap { $0.values("uid").first }) == Set(uids.map { Array($0.utf8) }))
        for dn in dns { _ = try await connection.delete(dn: dn) }
        _ = try await connection.delete(dn: ou)
    }
}
