import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
@testable import SCIMLDAP
import SlapdHarness
import Testing

/// The read path the benchmark measures: `read: all` (`*` plus operational attributes), password values never
/// copied out of a reply, and object-class selections checked on the entry found.
@Suite("Reads: `*` without passwords, selections checked on the entry")
struct ReadPathTests {
    @Test func usersAreReadWithStarAndPasswordsNeverReachTheGateway() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let store = harness.gateway.store
        let users = try #require(store.mapping.resourceTypes["User"])
        #expect(users.read == .all)
        let lists = await store.readAttributes(users, projection: .all)
        #expect(lists.first == "*")
        let named = Set(lists.dropFirst().map { $0.lowercased() })
        // Operational attributes stay named (`*` does not return them); user attributes go.
        #expect(
            named.isSuperset(of: [
                "entryuuid", "entrycsn", "createtimestamp", "modifytimestamp", "memberof",
                "pwdaccountlockedtime",
            ]))
        #expect(!named.contains("uid") && !named.contains("mail") && !named.contains("scimemail"))
        // Groups name their attributes (`listed`): without members the list has no `member`.
        let groups = try #require(store.mapping.resourceTypes["Group"])
        let withoutMembers = await store.readAttributes(groups, projection: Projection(excludedAttributes: ["members"]))
        #expect(!withoutMembers.contains("*") && !withoutMembers.contains { $0.caseInsensitiveEquals("member") })

        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("pwholder", extra: #""password":"Correct-Horse-42","title":"Keeper""#)))
            #expect(created.status == .created)
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(created.json?["title"]?.stringValue == "Keeper")
            let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(fetched.status == .ok)
            #expect(fetched.json?["password"] == nil && fetched.json?["title"]?.stringValue == "Keeper")

            // The bundled ACL lets the service account set passwords but never read them: `*` brings no hash.
            let plain = try await harness.ldap()
            let direct = try await plain.search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                attributes: ["*", "userPassword"])
            let entry = try #require(direct.entries.first)
            #expect(entry.string("uid") == "pwholder" && entry.values("userPassword").isEmpty)
            // And where a directory's ACLs do let the gateway's identity read them, its connections still never
            // copy the values: shown here with an identity that can read them (the admin).
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            #expect(
                try await admin.search(base: entry.dn, scope: .base, attributes: ["*"]).entries.first?
                    .string("userPassword")?.hasPrefix("{") == true)
            var guarded = harness.slapd.adminConfiguration()
            guarded.neverRead = store.mapping.passwordAttributes
            let careful = try await LDAPConnection.connect(guarded)
            let read = try #require(try await careful.search(base: entry.dn, scope: .base, attributes: ["*", "userPassword"]).entries.first)
            #expect(read.string("uid") == "pwholder")
            #expect(read.values("userPassword").isEmpty)
            let written = try await careful.modify(dn: entry.dn, [.replace("title", ["Warden"])], controls: [.postRead(["*"])])
            let readBack = try #require(written.controls.postRead)
            #expect(readBack.string("title") == "Warden")
            #expect(readBack.values("userPassword").isEmpty)
            // The gateway's own pool has the guard set.
            #expect(store.pool.configuration.neverRead.isSuperset(of: ["userpassword", "authpassword"]))
        }
    }

    /// cn and sn are filled from other attributes when a client leaves them out (`derived`); read back, such a value
    /// is not shown as if the client had sent it, unless it is no longer the attribute's only value.
    @Test func derivedValuesAreHiddenWhileTheyAreTheAttributesOneValue() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            func create(_ body: String) async throws -> JSONValue {
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth, body: jsonBody(body))
                #expect(created.status == .created, "\(String(buffer: created.body))")
                return try #require(created.json)
            }
            func get(_ id: String) async throws -> JSONValue {
                try #require(try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth).json)
            }
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            func entry(_ id: String) async throws -> LDAPEntry {
                try #require(try await admin.search(base: harness.slapd.peopleDN, filter: .equal("entryUUID", id)).entries.first)
            }

            // Only a userName: cn and sn hold it in the directory, and the resource shows no name.
            let bare = try await create(userJSON("derivee"))
            let bareID = try #require(bare["id"]?.stringValue)
            #expect(bare["name"] == nil)
            #expect(try await get(bareID)["name"] == nil)
            let stored = try await entry(bareID)
            #expect(stored.strings("cn") == ["derivee"] && stored.strings("sn") == ["derivee"])

            // Given and family name: cn is their join ("Ada Lovelace"), hidden; sn was sent, and shown.
            let named = try await create(userJSON("ada", extra: #""name":{"givenName":"Ada","familyName":"Lovelace"}"#))
            let namedID = try #require(named["id"]?.stringValue)
            let name = try await get(namedID)["name"]
            #expect(name?["formatted"] == nil)
            #expect(name?["familyName"]?.stringValue == "Lovelace" && name?["givenName"]?.stringValue == "Ada")
            #expect(try await entry(namedID).strings("cn") == ["Ada Lovelace"])

            // Another tool adds a second sn: the derived value is no longer the only one, and sn is shown.
            try await admin.modify(dn: stored.dn, [LDAPModification(.add, "sn", [Array("Other".utf8)])])
            #expect(try await get(bareID)["name"]?["familyName"]?.stringValue != nil)
            #expect(try await get(bareID)["name"]?["formatted"] == nil)
        }
    }

    @Test func entriesOutsideTheSelectionAreNotUsers() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        let people = harness.slapd.peopleDN
        // A device with a uid lives among the people, but is no inetOrgPerson.
        _ = try await admin.add(
            dn: "uid=printer7,\(people)",
            attributes: [
                ("objectClass", [Array("device".utf8), Array("uidObject".utf8)]), ("cn", [Array("printer7".utf8)]),
                ("uid", [Array("printer7".utf8)]),
            ])
        // A person whose classes are stored by OID: only the server's filter can tell it is an inetOrgPerson.
        _ = try await admin.add(
            dn: "uid=oidperson,\(people)",
            attributes: [
                ("objectClass", ["top", "person", "organizationalPerson", "2.16.840.1.113730.3.2.2"].map { Array($0.utf8) }),
                ("cn", [Array("Oid Person".utf8)]), ("sn", [Array("Person".utf8)]), ("uid", [Array("oidperson".utf8)]),
            ])
        func uuid(_ uid: String) async throws -> String {
            let found = try await admin.search(base: people, filter: .equal("uid", uid), attributes: ["entryUUID"])
            return try #require(found.entries.first?.string("entryUUID"))
        }
        let printer = try await uuid("printer7")
        let oidPerson = try await uuid("oidperson")
        try await harness.application().test(.router) { client in
            let device = try await client.execute(uri: "/scim/v2/Users/\(printer)", method: .get, headers: GatewayHarness.auth)
            #expect(device.status == .notFound)
            let deviceLookup = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20eq%20%22printer7%22",
                method: .get, headers: GatewayHarness.auth)
            #expect(deviceLookup.status == .ok)
            #expect(deviceLookup.json?["totalResults"] == .integer(0))

            let person = try await client.execute(uri: "/scim/v2/Users/\(oidPerson)", method: .get, headers: GatewayHarness.auth)
            #expect(person.status == .ok)
            #expect(person.json?["userName"]?.stringValue == "oidperson")
            let personLookup = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20eq%20%22oidperson%22",
                method: .get, headers: GatewayHarness.auth)
            #expect(personLookup.json?["totalResults"] == .integer(1))
            #expect(personLookup.json?["Resources"]?[0]?["id"]?.stringValue == oidPerson)

            // A lookup matching both kinds answers only the person.
            let both = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20eq%20%22printer7%22%20or%20userName%20eq%20%22oidperson%22",
                method: .get, headers: GatewayHarness.auth)
            #expect(both.json?["totalResults"] == .integer(1))
            #expect(both.json?["Resources"]?[0]?["userName"]?.stringValue == "oidperson")
        }
    }
}
