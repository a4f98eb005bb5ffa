import Foundation
import LDAPClient
@testable import SCIMLDAP
import SCIMTestSupport
import Testing

/// Small pure pieces of reading an entry (no directory needed).
@Suite("Reading entries: pure helpers")
struct DecodingUnitTests {
    @Test func generalizedTimeBecomesRFC3339() {
        #expect(GeneralizedTime.rfc3339("20261123220102Z") == "2026-11-23T22:01:02Z")
        #expect(GeneralizedTime.rfc3339("20261123220102.123456Z") == "2026-11-23T22:01:02Z")
        #expect(GeneralizedTime.rfc3339("2026112322010Z") == nil)
        #expect(GeneralizedTime.rfc3339("2026-11-23T22:01:02Z") == nil)
        #expect(GeneralizedTime.rfc3339("") == nil)
        #expect(GeneralizedTime.rfc3339("٢٠٢٦١١٢٣٢٢٠١٠٢Z") == nil)  // digits, but not ASCII ones
    }

    @Test func endpointsLoseTheirSlashes() {
        #expect(EntryDecoder.trimmingSlashes("/Users") == "Users")
        #expect(EntryDecoder.trimmingSlashes("Groups/") == "Groups")
        #expect(EntryDecoder.trimmingSlashes("//Devices//") == "Devices")
        #expect(EntryDecoder.trimmingSlashes("/") == "")
    }

    @Test func attributeOptionsAreReadOnceInLowerCase() {
        let tagged = LDAPEntry.Attribute(description: "scimEmail;X-SCIM-Type-Work;x-scim-primary", values: [])
        #expect(tagged.type == "scimEmail")
        #expect(tagged.options == ["x-scim-type-work", "x-scim-primary"])
        let plain = LDAPEntry.Attribute(description: "mail", values: [])
        #expect(plain.type == "mail" && plain.options.isEmpty)
    }

    @Test func theAttributesReadAreListedOnceWhenTheMappingLoads() throws {
        let url = UnitFixtures.repository.appendingPathComponent("Config/mapping/bundled.yaml")
        let mapping = try Mapping.load(url, suffix: "dc=example,dc=org")
        let users = try #require(mapping.resourceTypes["User"])
        let groups = try #require(mapping.resourceTypes["Group"])
        for name in ["entryUUID", "entryCSN", "uid", "memberOf", "scimEmail", "mail", "manager", "pwdAccountLockedTime"] {
            #expect(users.readAttributes.contains(name), "\(name)")
        }
        #expect(!users.readAttributes.contains { $0.lowercased() == "userpassword" })
        #expect(Set(users.readAttributes.map { $0.lowercased() }).count == users.readAttributes.count)
        #expect(groups.readAttributes.contains("member"))
        #expect(!groups.readAttributesWithoutMembers.contains("member"))
        #expect(groups.readAttributesWithoutMembers.contains("cn"))
    }
}
