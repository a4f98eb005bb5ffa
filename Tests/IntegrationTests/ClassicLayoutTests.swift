import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import OrderedCollections
import SCIMCore
import SlapdHarness
import Testing

/// Config/mapping/classic.yaml over a directory built from plain LDIF: ou=People with inetOrgPerson entries (none
/// of the gateway's classes or attributes) and ou=Groups with groupOfUniqueNames. The gateway reads, filters,
/// updates and adds users and groups there, and what it creates fits that layout.
@Suite("Classic directory layout (classic.yaml)")
struct ClassicLayoutTests {
    static let ldif = """
        dn: uid=jdoe,ou=People,dc=example,dc=org
        objectClass: top
        objectClass: person
        objectClass: organizationalPerson
        objectClass: inetOrgPerson
        uid: jdoe
        cn: John Doe
        sn: Doe
        givenName: John
        mail: john.doe@example.org
        telephoneNumber: +1 555 0100
        mobile: +1 555 0199
        street: 742 Evergreen Terrace
        l: Springfield
        st: OR
        postalCode: 97475
        postalAddress: 742 Evergreen Terrace$Springfield, OR 97475
        title: Engineer
        employeeNumber: 1001

        dn: uid=asmith,ou=People,dc=example,dc=org
        objectClass: inetOrgPerson
        uid: asmith
        cn: Anna Smith
        sn: Smith
        mail: anna.smith@example.org
        mail: a.smith@example.org
        l: Shelbyville

        dn: cn=engineering,ou=Groups,dc=example,dc=org
        objectClass: groupOfUniqueNames
        cn: engineering
        uniqueMember: uid=jdoe,ou=People,dc=example,dc=org
        uniqueMember: uid=asmith,ou=People,dc=example,dc=org

        """

    static func forbiddenNames(in entry: LDAPEntry) -> [String] {
        entry.attributes.map(\.type).filter { $0.lowercased().hasPrefix("scim") }
            + entry.strings("objectClass").filter { $0.lowercased().hasPrefix("scim") }
    }

    @Test func readsFiltersUpdatesAndAddsInTheClassicLayout() async throws {
        let harness = try await GatewayHarness.start(
            options: SlapdOptions(onlineLDIF: Self.ldif),
            mapping: "Config/mapping/classic.yaml")
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            func get(_ uri: String) async throws -> JSONValue {
                let response = try await client.execute(uri: uri, method: .get, headers: auth)
                #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                return try #require(response.json)
            }
            // Reads: typed values come from the standard attributes.
            let all = try await get("/scim/v2/Users?sortBy=userName")
            #expect(all["totalResults"] == .integer(2))
            let jdoe = try #require(all["Resources"]?[1])
            let jdoeID = try #require(jdoe["id"]?.stringValue)
            #expect(jdoe["userName"]?.stringValue == "jdoe")
            #expect(jdoe["emails"] == .array([.object(["value": "john.doe@example.org", "type": "work", "primary": true])]))
            #expect(jdoe["phoneNumbers"]?.arrayValue?.count == 2)
            #expect(jdoe["phoneNumbers"]?[0] == .object(["value": "+1 555 0100", "type": "work", "primary": true]))
            #expect(jdoe["addresses"]?[0]?["formatted"]?.stringValue == "742 Evergreen Terrace\nSpringfield, OR 97475")
            #expect(jdoe["addresses"]?[0]?["locality"]?.stringValue == "Springfield")
            #expect(jdoe["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?["employeeNumber"]?.stringValue == "1001")

            // Filters become filters on the standard attributes.
            #expect(try await get(filterURI("Users", #"emails[type eq "work"].value eq "a.smith@example.org""#))["totalResults"] == .integer(1))
            #expect(try await get(filterURI("Users", #"emails.value ew "@example.org""#))["totalResults"] == .integer(2))
            #expect(
                try await get(filterURI("Users", #"phoneNumbers[type eq "mobile"].value eq "+1 555 0199""#))["Resources"]?[0]?["id"]?.stringValue
                    == jdoeID)
            #expect(try await get(filterURI("Users", #"addresses[type eq "work"].locality eq "Shelbyville""#))["totalResults"] == .integer(1))
            #expect(try await get(filterURI("Users", #"phoneNumbers.type eq "mobile""#))["totalResults"] == .integer(1))
            #expect(try await get(filterURI("Users", #"title eq "Engineer" and userName sw "j""#))["totalResults"] == .integer(1))

            // Updates: PATCH and PUT write the standard attributes.
            let patched = try await client.execute(
                uri: "/scim/v2/Users/\(jdoeID)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0123"},{"op":"replace","path":"title","value":"Lead"}]}"#
                ))
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            let ldap = try await harness.ldap()
            let jdoeEntry = try #require(
                try await ldap.search(
                    base: "ou=People,dc=example,dc=org", filter: .equal("uid", "jdoe"),
                    attributes: ["*"]
                ).entries.first)
            #expect(jdoeEntry.strings("mobile") == ["+1 555 0123"])
            #expect(jdoeEntry.string("title") == "Lead")
            #expect(jdoeEntry.string("street") == "742 Evergreen Terrace")

            // A new user fits the layout: inetOrgPerson only, standard attributes, postal address syntax.
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(
                    userJSON(
                        "mnew",
                        extra: """
                            "externalId":"idp-77","name":{"givenName":"Mia","familyName":"New"},
                            "emails":[{"value":"mia@example.org","type":"work","primary":true}],
                            "phoneNumbers":[{"value":"+1 555 0177","type":"mobile"}],
                            "addresses":[{"type":"work","streetAddress":"1 Main St","locality":"Capital City","formatted":"1 Main St\\nCapital City"}],
                            "password":"classic-Password-1"
                            """)))
            #expect(created.status == .created, "\(String(buffer: created.body))")
            #expect(created.json?["externalId"] == nil)
            let newEntry = try #require(
                try await ldap.search(
                    base: "ou=People,dc=example,dc=org", filter: .equal("uid", "mnew"),
                    attributes: ["*"]
                ).entries.first)
            #expect(
                Set(newEntry.strings("objectClass").map { $0.lowercased() })
                    == ["top", "person", "organizationalperson", "inetorgperson"])
            #expect(Self.forbiddenNames(in: newEntry) == [])
            #expect(newEntry.strings("mail") == ["mia@example.org"])
            #expect(newEntry.strings("mobile") == ["+1 555 0177"])
            #expect(newEntry.strings("postalAddress") == ["1 Main St$Capital City"])
            #expect(newEntry.string("cn") == "Mia New")
            #expect(try await harness.storedPassword(.equal("uid", "mnew"), base: "ou=People,dc=example,dc=org")?.hasPrefix("{") == true)

            // What the layout cannot hold is refused, not dropped.
            let nick = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(userJSON("nick", extra: #""nickName":"Nicky""#)))
            #expect(nick.status == .badRequest)
            #expect(nick.json?["scimType"]?.stringValue == "invalidValue")
            let homeMail = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(userJSON("home", extra: #""emails":[{"value":"h@example.org","type":"home"}]"#)))
            #expect(homeMail.status == .badRequest)
            #expect(homeMail.json?["detail"]?.stringValue?.contains("work") == true)

            // Discovery shows what this mapping stores.
            let schema = try await get("/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
            let names = Set((schema["attributes"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            #expect(names.contains("emails") && names.contains("title"))
            #expect(!names.contains("nickName") && !names.contains("x509Certificates"))

            // Groups: groupOfUniqueNames with uniqueMember.
            let groups = try await get(filterURI("Groups", #"displayName eq "engineering""#))
            let engineering = try #require(groups["Resources"]?[0])
            let engineeringID = try #require(engineering["id"]?.stringValue)
            #expect(engineering["members"]?.arrayValue?.count == 2)
            let newID = try #require(created.json?["id"]?.stringValue)
            let added = try await client.execute(
                uri: "/scim/v2/Groups/\(engineeringID)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(newID)"}]}]}"#
                ))
            #expect(added.status == .ok || added.status == .noContent, "\(String(buffer: added.body))")
            #expect(try await get(filterURI("Groups", #"members.value eq "\#(newID)""#))["totalResults"] == .integer(1))
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"newcomers","externalId":"g-1","members":[{"value":"\#(newID)"}]}"#
                ))
            #expect(group.status == .created, "\(String(buffer: group.body))")
            let groupEntry = try #require(
                try await ldap.search(
                    base: "ou=Groups,dc=example,dc=org", filter: .equal("cn", "newcomers"),
                    attributes: ["*"]
                ).entries.first)
            #expect(Set(groupEntry.strings("objectClass").map { $0.lowercased() }) == ["top", "groupofuniquenames"])
            #expect(groupEntry.strings("uniqueMember").map { $0.lowercased() } == ["uid=mnew,ou=people,dc=example,dc=org"])
            #expect(Self.forbiddenNames(in: groupEntry) == [])
            // The last member leaves: the group stays valid with the hidden placeholder.
            let emptied = try await client.execute(
                uri: "/scim/v2/Groups/\(try #require(group.json?["id"]?.stringValue))", method: .patch,
                headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"\#(newID)\"]"}]}"#
                ))
            #expect(emptied.status == .ok || emptied.status == .noContent, "\(String(buffer: emptied.body))")
            #expect(emptied.json?["members"] == nil)
        }
    }
}
