import Foundation
import LDAPClient
import SlapdHarness
import Testing

@Suite("The gateway schema loads from cn=config and from slapd.conf")
struct SchemaLoadingTests {
    enum Style: String, CaseIterable, CustomTestStringConvertible {
        case cnConfig, slapdConf
        var option: SlapdOptions.ConfigStyle { self == .cnConfig ? .cnConfig : .slapdConf }
        var testDescription: String { rawValue }
    }

    @Test(arguments: Style.allCases)
    func scimUserWithTaggedEmailAndExternalId(_ style: Style) async throws {
        let slapd = try await TestDirectory.start(SlapdOptions(configStyle: style.option))
        defer { slapd.stop() }
        let connection = try await LDAPConnection.connect(slapd.serviceConfiguration())
        #expect(try await connection.whoAmI().lowercased() == "dn:\(slapd.serviceDN)".lowercased())

        let uid = TestDirectory.unique("schema")
        let person = TestDirectory.person(
            uid, in: slapd,
            extra: [
                ("scimEmail;x-scim-type-work", ["Jörg.Work@example.org"]), ("scimEmail;x-scim-type-home", ["home@example.org"]),
                ("scimExternalId", ["Ext-\(uid)"]),
            ])
        _ = try await connection.add(dn: person.dn, attributes: person.attributes)
        let found = try await connection.search(
            base: slapd.peopleDN, scope: .oneLevel,
            filter: .equal("scimEmail;x-scim-type-work", "jörg.work@example.org"),
            attributes: ["scimEmail", "scimExternalId", "objectClass"])
        let entry = try #require(found.entries.first)
        #expect(found.entries.count == 1)
        #expect(entry.dn.lowercased() == person.dn.lowercased())
        #expect(entry.strings("scimEmail;x-scim-type-work") == ["Jörg.Work@example.org"])
        #expect(entry.strings("scimEmail;x-scim-type-home") == ["home@example.org"])
        #expect(
            entry.attributes(ofType: "scimEmail").map { $0.options }.sorted { $0.description < $1.description }
                == [["x-scim-type-home"], ["x-scim-type-work"]])
        #expect(entry.string("scimExternalId") == "Ext-\(uid)")
        #expect(Set(entry.strings("objectClass").map { $0.lowercased() }).isSuperset(of: ["inetorgperson", "scimuser"]))
        // a work address is not a home address
        let home = try await connection.search(
            base: slapd.peopleDN, scope: .oneLevel,
            filter: .equal("scimEmail;x-scim-type-home", "jörg.work@example.org"),
            attributes: ["1.1"])
        #expect(home.entries.isEmpty)
        // scimExternalId is case-exact
        let wrongCase = try await connection.search(
            base: slapd.peopleDN, scope: .oneLevel,
            filter: .equal("scimExternalId", "ext-\(uid)"), attributes: ["1.1"])
        #expect(wrongCase.entries.isEmpty)

        // the unique overlay is configured both ways too: a second user with the same externalId is refused
        let twin = TestDirectory.person(TestDirectory.unique("schema"), in: slapd, extra: [("scimExternalId", ["Ext-\(uid)"])])
        await LDAPTestSupport.expectLDAPError(.constraintViolation) {
            try await connection.add(dn: twin.dn, attributes: twin.attributes)
        }

        let subschema = try await connection.search(
            base: "cn=Subschema", scope: .base, filter: .present("objectClass"),
            attributes: ["objectClasses", "attributeTypes"])
        let definitions = try #require(subschema.entries.first).strings("objectClasses")
        #expect(definitions.contains { $0.contains("NAME 'scimUser'") && $0.contains("AUXILIARY") })
        #expect(definitions.contains { $0.contains("NAME 'scimGroup'") && $0.contains("AUXILIARY") })
        let attributeTypes = subschema.entries.first?.strings("attributeTypes") ?? []
        #expect(attributeTypes.contains { $0.contains("NAME 'scimExternalId'") && $0.contains("caseExactMatch") })
        #expect(attributeTypes.contains { $0.contains("NAME 'scimEmail'") })
    }
}
