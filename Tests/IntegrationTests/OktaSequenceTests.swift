import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

/// Okta's SCIM 2.0 provisioning, after its "SCIM 2.0 test spec" (Runscope/BlazeMeter) assertions: numeric paging
/// fields, case-insensitive userName lookup, 409 on duplicates, SCIM bodies on 404 and 401; profile updates with
/// PUT, activation with PATCH, JSON sent as application/json.
@Suite("Okta provisioning sequence")
struct OktaSequenceTests {
    static var json: HTTPFields {
        [.authorization: "Bearer \(GatewayHarness.token)", .contentType: "application/json", .accept: "application/scim+json"]
    }

    @Test func oktaSpecAssertions() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            // Paging fields are JSON numbers; startIndex=1&count=100 as Okta sends them.
            let list = try await client.execute(uri: "/scim/v2/Users?startIndex=1&count=100", method: .get, headers: Self.json)
            #expect(list.status == .ok)
            for key in ["totalResults", "startIndex", "itemsPerPage"] {
                if case .integer = list.json?[key] {} else { Issue.record("\(key) is not a JSON integer") }
            }
            // Create with application/json.
            let body =
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Okta.User@example.org","name":{"givenName":"Okta","familyName":"User"},"emails":[{"primary":true,"value":"okta.user@example.org","type":"work"}],"active":true,"password":"Okta-Pass-2024"}"#
            let created = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: Self.json, body: jsonBody(body))
            #expect(created.status == .created)
            let id = try #require(created.json?["id"]?.stringValue)
            // Case-insensitive userName filter.
            let lookup = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20eq%20%22okta.user%40EXAMPLE.org%22&startIndex=1&count=100",
                method: .get, headers: Self.json)
            #expect(lookup.json?["totalResults"] == .integer(1))
            #expect(lookup.json?["Resources"]?[0]?["id"]?.stringValue == id)
            // Duplicate: 409 uniqueness.
            let duplicate = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: Self.json, body: jsonBody(body))
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json?["scimType"]?.stringValue == "uniqueness")
            // Unknown id: 404 with a SCIM body.
            let missing = try await client.execute(uri: "/scim/v2/Users/010101010101-nope", method: .get, headers: Self.json)
            #expect(missing.status == .notFound)
            #expect(missing.json?["schemas"]?[0]?.stringValue == SCIMURN.error)
            // Bad token: 401 with a SCIM body.
            var bad = Self.json
            bad[.authorization] = "Bearer wrong"
            let denied = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: bad)
            #expect(denied.status == .unauthorized)
            #expect(denied.json?["status"]?.stringValue == "401")
            // Profile update with PUT (full replace).
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: Self.json,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"\#(id)","userName":"Okta.User@example.org","name":{"givenName":"Okay","familyName":"User"},"emails":[{"primary":true,"value":"okta.user@example.org","type":"work"}],"active":true}"#
                ))
            #expect(put.status == .ok)
            #expect(put.json?["name"]?["givenName"]?.stringValue == "Okay")
            // Deactivate and reactivate with PATCH.
            for flag in [false, true] {
                let toggled = try await client.execute(
                    uri: "/scim/v2/Users/\(id)", method: .patch, headers: Self.json,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":\#(flag)}}]}"#)
                )
                #expect(toggled.json?["active"]?.boolValue == flag)
            }
            let ldap = try await harness.ldap()
            let entry = try await ldap.search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                attributes: ["pwdAccountLockedTime", "givenName", "userPassword"])
            #expect(entry.entries.first?.string("pwdAccountLockedTime") == nil)
            #expect(entry.entries.first?.string("givenName") == "Okay")
            #expect(try await harness.storedPassword(.equal("entryUUID", id))?.hasPrefix("{ARGON2}") == true)  // PUT kept the password
        }
    }
}
