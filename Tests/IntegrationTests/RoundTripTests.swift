import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import OrderedCollections
import SCIMCore
import SlapdHarness
import Testing

/// RFC 7643 §8's full examples (the §8.3 enterprise user, which is §8.2's full user plus the extension, and the
/// §8.4 group) through the gateway: every attribute except id, meta, groups and password comes back unchanged
/// after POST → GET and after PUT → GET. Referenced users are created first and their ids substituted.
@Suite("RFC 7643 §8 examples round-trip")
struct RoundTripTests {
    static let fixtures = GatewayHarness.repository.appendingPathComponent("Tests/IntegrationTests/Fixtures")
    static let base = "https://scim.example.test/scim/v2"

    static func fixture(_ name: String) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: fixtures.appendingPathComponent(name)), maxDepth: 32, maxBytes: 1 << 20)
    }

    /// `value` with the members named removed (top level).
    static func without(_ value: JSONValue, _ names: Set<String>) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members.filter { !names.contains($0.key) })
    }

    static func setting(_ value: JSONValue, _ key: String, _ new: JSONValue) -> JSONValue {
        guard case .object(var members) = value else { return value }
        members[key] = new
        return .object(members)
    }

    /// Every differing path, for a readable failure.
    static func differences(_ expected: JSONValue, _ actual: JSONValue, path: String = "") -> [String] {
        switch (expected, actual) {
        case (.object(let a), .object(let b)):
            var out: [String] = []
            for key in Set(a.keys).union(b.keys).sorted() {
                switch (a[key], b[key]) {
                case (let x?, let y?): out += differences(x, y, path: path + "." + key)
                case (_?, nil): out.append("\(path).\(key): missing")
                case (nil, let y?): out.append("\(path).\(key): unexpected \(y.jsonString())")
                default: break
                }
            }
            return out
        case (.array(let a), .array(let b)) where a.count == b.count:
            return zip(a, b).enumerated().flatMap { differences($1.0, $1.1, path: "\(path)[\($0)]") }
        default:
            return expected == actual ? [] : ["\(path): expected \(expected.jsonString()), got \(actual.jsonString())"]
        }
    }

    static let ignored: Set<String> = ["id", "meta", "groups", "password"]

    @Test func enterpriseUserAndGroupSurviveCreateReplaceAndRead() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            func post(_ path: String, _ body: JSONValue) async throws -> JSONValue {
                let response = try await client.execute(
                    uri: "/scim/v2/\(path)", method: .post, headers: auth,
                    body: ByteBuffer(string: body.jsonString()))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return try #require(response.json)
            }
            func get(_ path: String) async throws -> JSONValue {
                try #require(try await client.execute(uri: "/scim/v2/\(path)", method: .get, headers: auth).json)
            }
            let manager = try #require(
                try await post(
                    "Users",
                    try JSONValue.parse(
                        Data(
                            userJSON("jsmith", extra: #""displayName":"John Smith""#).utf8), maxDepth: 8, maxBytes: 4096))["id"]?.stringValue)
            let mandy = try #require(
                try await post(
                    "Users",
                    try JSONValue.parse(
                        Data(
                            userJSON("mandy", extra: #""displayName":"Mandy Pepperidge""#).utf8), maxDepth: 8, maxBytes: 4096))["id"]?.stringValue)

            // The user: the manager is John Smith's new id.
            let enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            var user = try Self.fixture("rfc7643-8.3-enterprise-user.json")
            let managerRef: JSONValue = .object([
                "value": .string(manager), "$ref": .string("\(Self.base)/Users/\(manager)"),
                "displayName": .string("John Smith"),
            ])
            user = Self.setting(user, enterpriseURN, Self.setting(try #require(user[enterpriseURN]), "manager", managerRef))
            let sent = Self.without(user, ["id", "meta", "groups"])
            let created = try await post("Users", sent)
            let userID = try #require(created["id"]?.stringValue)
            let expected = Self.without(sent, Self.ignored)
            #expect(Self.differences(expected, Self.without(created, Self.ignored)) == [])
            #expect(Self.differences(expected, Self.without(try await get("Users/\(userID)"), Self.ignored)) == [])
            #expect(created["password"] == nil)
            // Other LDAP consumers find the usual attributes: work/primary e-mail, phones and addresses by type.
            let mirrors = [
                "mail", "telephoneNumber", "mobile", "street", "l", "st", "postalCode", "postalAddress",
                "homePostalAddress", "manager", "userPassword",
            ]
            let entry = try #require(
                try await harness.ldap().search(
                    base: harness.slapd.peopleDN, filter: .equal("entryUUID", userID),
                    attributes: mirrors
                ).entries.first)
            #expect(entry.strings("mail") == ["bjensen@example.com"])
            #expect(entry.strings("telephoneNumber") == ["555-555-5555"])
            #expect(entry.strings("mobile") == ["555-555-4444"])
            #expect(entry.string("street") == "100 Universal City Plaza")
            #expect(entry.string("l") == "Hollywood")
            #expect(entry.string("postalAddress") == "100 Universal City Plaza$Hollywood, CA 91608 USA")
            #expect(entry.string("homePostalAddress") == "456 Hollywood Blvd$Hollywood, CA 91608 USA")
            #expect(entry.string("manager")?.lowercased() == "uid=jsmith,\(harness.slapd.peopleDN)".lowercased())
            #expect(try await harness.storedPassword(.equal("entryUUID", userID))?.hasPrefix("{ARGON2}") == true)

            // PUT a changed representation: primary moves to the home e-mail, an address and a phone go.
            var changed = Self.setting(
                sent, "emails",
                .array([
                    .object(["value": "bjensen@example.com", "type": "work"]),
                    .object(["value": "babs@jensen.org", "type": "home", "primary": true]),
                    // mail (IA5String) refuses this one; it is still kept, losslessly.
                    .object(["value": "bäbs@jensen.org", "type": "other", "display": "Bäbs"]),
                ]))
            changed = Self.setting(changed, "addresses", .array([try #require(sent["addresses"]?[1])]))
            changed = Self.setting(changed, "phoneNumbers", .array([try #require(sent["phoneNumbers"]?[1])]))
            changed = Self.setting(changed, "nickName", "Barbie")
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(userID)", method: .put, headers: auth,
                body: ByteBuffer(string: changed.jsonString()))
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            let expectedAfterPut = Self.without(changed, Self.ignored)
            #expect(Self.differences(expectedAfterPut, Self.without(try #require(put.json), Self.ignored)) == [])
            #expect(Self.differences(expectedAfterPut, Self.without(try await get("Users/\(userID)"), Self.ignored)) == [])
            let after = try #require(
                try await harness.ldap().search(
                    base: harness.slapd.peopleDN, filter: .equal("entryUUID", userID),
                    attributes: mirrors
                ).entries.first)
            #expect(after.strings("mail") == ["babs@jensen.org"])
            #expect(after.strings("telephoneNumber") == [] && after.strings("mobile") == ["555-555-4444"])
            #expect(after.string("street") == nil && after.string("postalAddress") == nil)
            #expect(after.string("homePostalAddress") == "456 Hollywood Blvd$Hollywood, CA 91608 USA")

            // The group: Babs (the user above) and Mandy.
            let group = try Self.fixture("rfc7643-8.4-group.json")
            let members: JSONValue = .array([
                .object([
                    "value": .string(userID), "$ref": .string("\(Self.base)/Users/\(userID)"), "display": "Babs Jensen",
                    "type": "User",
                ]),
                .object([
                    "value": .string(mandy), "$ref": .string("\(Self.base)/Users/\(mandy)"), "display": "Mandy Pepperidge",
                    "type": "User",
                ]),
            ])
            let groupSent = Self.setting(Self.without(group, ["id", "meta"]), "members", members)
            let groupCreated = try await post("Groups", groupSent)
            let groupID = try #require(groupCreated["id"]?.stringValue)
            let groupExpected = Self.without(groupSent, Self.ignored)
            #expect(Self.differences(groupExpected, Self.without(groupCreated, Self.ignored)) == [])
            #expect(Self.differences(groupExpected, Self.without(try await get("Groups/\(groupID)"), Self.ignored)) == [])
            // And the user's groups now name it.
            #expect(try await get("Users/\(userID)")["groups"]?[0]?["value"]?.stringValue == groupID)
        }
    }
}
