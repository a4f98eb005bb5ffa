import Foundation
import SCIMCore
import SCIMLDAP
import SCIMTestSupport
import Testing

/// `AttributeMapping.kind` carries exactly the settings of its kind: the mapping file's keys land in the case they
/// belong to, and a kind missing what it needs is refused when the mapping loads, naming the attribute.
@Suite("Mapping model (unit)")
struct MappingModelUnitTests {
    static func mapping(_ attributes: String) throws -> Mapping {
        try Mapping.parse(
            """
            version: 1
            resourceTypes:
              User:
                baseDN: ou=people,dc=example,dc=org
                scope: one
                objectClasses: [inetOrgPerson]
                rdnAttribute: uid
                attributes:
            \(attributes)
            """, suffix: "dc=example,dc=org")
    }

    static func attribute(_ scim: String, in mapping: Mapping) throws -> AttributeMapping {
        try #require(mapping.resourceTypes["User"]?.attributes.first { $0.scim == scim })
    }

    @Test func theBundledMappingsSettingsLandInTheirKinds() throws {
        let users = try #require(try Mapping.load(UnitFixtures.bundledMapping, suffix: "dc=example,dc=org").resourceTypes["User"])
        let emails = try #require(users.attributes.first { $0.scim == "emails" })
        guard case .tagged(let tagged) = emails.kind else { Issue.record("emails: \(emails.kind.name)"); return }
        #expect(tagged.display == "scimEmailDisplay")
        #expect(tagged.mirror == ["primary": "mail"])
        #expect(!tagged.binary)
        #expect(emails.taggedParts.map(\.sub) == ["value", "display"])
        #expect(emails.ldapAttributes == ["mail", "scimEmail", "scimEmailDisplay"])
        let active = try #require(users.attributes.first { $0.scim == "active" })
        guard case .active(let settings) = active.kind, case .ppolicy = settings.strategy else {
            Issue.record("active: \(active.kind.name)")
            return
        }
        #expect(settings.marker == "scimActive")
        let manager = try #require(users.attributes.first { $0.scim.hasSuffix(":manager") })
        #expect(manager.kind.name == .reference)
        #expect(
            manager.path
                == AttributePath(
                    schemaURN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                    attribute: "manager"))
        let givenName = try #require(users.attributes.first { $0.scim == "name.givenName" })
        #expect(givenName.path == AttributePath(attribute: "name", subAttribute: "givenName"))
    }

    @Test func aTypedAttributeTakesItsLDAPAttributeFromThePrimaryType() throws {
        let mapping = try Self.mapping(
            """
                  - { scim: emails, kind: typed, primaryType: Work, types: { home: homeMail, work: mail } }
            """)
        let emails = try Self.attribute("emails", in: mapping)
        guard case .typed(let typed) = emails.kind else { Issue.record("emails: \(emails.kind.name)"); return }
        #expect(typed.primaryType == "work")
        #expect(typed.types == ["home": ["value": "homeMail"], "work": ["value": "mail"]])
        #expect(emails.ldap == "mail")
    }

    @Test func aPlainActiveAttributeCarriesBothValues() throws {
        let mapping = try Self.mapping(
            """
                  - { scim: active, ldap: shadowExpire, kind: active, strategy: attribute, inactiveValue: "1", activeValue: "-1" }
            """)
        let active = try Self.attribute("active", in: mapping)
        guard case .active(let settings) = active.kind, case .attribute(let inactive, let activeValue) = settings.strategy else {
            Issue.record("active: \(active.kind.name)")
            return
        }
        #expect(inactive == "1" && activeValue == "-1")
    }

    @Test(arguments: [
        (
            "  - { scim: active, ldap: shadowExpire, kind: active, strategy: attribute }",
            "User.active: strategy attribute needs `inactiveValue`"
        ),
        ("  - { scim: emails, kind: typed }", "User.emails: a typed attribute needs `types` (type: ldap attribute)"),
        (
            "  - { scim: emails, kind: typed, types: { work: mail }, primaryType: home }",
            "User.emails: primaryType home is not one of its types"
        ),
    ])
    func aKindMissingWhatItNeedsIsRefused(attribute: String, message: String) throws {
        let error = try #require(throws: MappingError.self) { try Self.mapping("      " + attribute) }
        #expect(error.description == message)
    }
}
