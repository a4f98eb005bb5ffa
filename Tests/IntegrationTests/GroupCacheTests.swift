import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMCore
import Testing

/// User `groups` come partly from a short-lived cache of recently seen groups; a group write through the gateway
/// clears it, so a client never reads its own change back stale.
@Suite("Group cache invalidation")
struct GroupCacheTests {
    @Test func groupWritesAreSeenAtOnce() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let user = try #require(try await client.execute(uri: "/scim/v2/Users", method: .post, headers: auth,
                                                             body: jsonBody(userJSON("cached"))).json?["id"]?.stringValue)
            let group = try #require(try await client.execute(uri: "/scim/v2/Groups", method: .post, headers: auth, body: jsonBody(
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"before","members":[{"value":"\#(user)"}]}"#))
                .json?["id"]?.stringValue)
            func groups() async throws -> JSONValue? {
                try await client.execute(uri: "/scim/v2/Users/\(user)", method: .get, headers: auth).json?["groups"]
            }
            #expect(try await groups()?[0]?["display"]?.stringValue == "before")
            #expect(try await groups()?[0]?["display"]?.stringValue == "before")  // now from the cache
            _ = try await client.execute(uri: "/scim/v2/Groups/\(group)", method: .patch, headers: auth, body: jsonBody(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"after"}]}"#))
            #expect(try await groups()?[0]?["display"]?.stringValue == "after")
            _ = try await client.execute(uri: "/scim/v2/Groups/\(group)", method: .delete, headers: auth)
            #expect(try await groups() == nil)
        }
    }
}
