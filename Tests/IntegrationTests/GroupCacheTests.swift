import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import Logging
import NIOCore
import SCIMApp
import SCIMCore
@testable import SCIMLDAP
import SlapdHarness
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
            let user = try #require(
                try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth,
                    body: jsonBody(userJSON("cached"))
                ).json?["id"]?.stringValue)
            let group = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"before","members":[{"value":"\#(user)"}]}"#)
                )
                .json?["id"]?.stringValue)
            func groups() async throws -> JSONValue? {
                try await client.execute(uri: "/scim/v2/Users/\(user)", method: .get, headers: auth).json?["groups"]
            }
            #expect(try await groups()?[0]?["display"]?.stringValue == "before")
            #expect(try await groups()?[0]?["display"]?.stringValue == "before")  // now from the cache
            _ = try await client.execute(
                uri: "/scim/v2/Groups/\(group)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"after"}]}"#
                ))
            #expect(try await groups()?[0]?["display"]?.stringValue == "after")
            _ = try await client.execute(uri: "/scim/v2/Groups/\(group)", method: .delete, headers: auth)
            #expect(try await groups() == nil)
        }
    }

    /// Only a write to a group can change what the cache holds: a user's PUT or PATCH leaves it (so the user's
    /// `groups` in the answer, and every other request's, need no group search), a group's PATCH clears it.
    @Test func aUserWriteKeepsTheCacheAndAGroupWriteClearsIt() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let cache = harness.gateway.store.groupCache
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let user = try #require(
                try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth, body: jsonBody(userJSON("keeps"))
                ).json?["id"]?.stringValue)
            let group = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"kept","members":[{"value":"\#(user)"}]}"#)
                )
                .json?["id"]?.stringValue)
            let read = try await client.execute(uri: "/scim/v2/Users/\(user)", method: .get, headers: auth)
            #expect(read.json?["groups"]?[0]?["display"]?.stringValue == "kept")
            #expect(cache.count == 1)
            let patched = try await client.execute(
                uri: "/scim/v2/Users/\(user)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Kept"}]}"#
                ))
            #expect(patched.status == .ok)
            #expect(patched.json?["groups"]?[0]?["display"]?.stringValue == "kept")
            #expect(cache.count == 1, "a user's PATCH cleared the group cache")
            _ = try await client.execute(
                uri: "/scim/v2/Groups/\(group)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"renamed"}]}"#
                ))
            #expect(cache.count == 0, "a group's PATCH left the group cache")
            // Another type's view of an entry under the groups' base may change a group too; a user's entry cannot.
            let store = harness.gateway.store
            let users = try #require(store.mapping.resourceTypes["User"])
            let groupsBase = try #require(store.mapping.resourceTypes["Group"]?.baseDN)
            #expect(store.mayHoldGroup("cn=kept,\(groupsBase)", writtenAs: users))
            #expect(!store.mayHoldGroup("uid=keeps,\(harness.slapd.peopleDN)", writtenAs: users))
            #expect(
                try await client.execute(uri: "/scim/v2/Users/\(user)", method: .get, headers: auth).json?["groups"]?[0]?["display"]?
                    .stringValue == "renamed")
        }
    }

    /// A read made as another identity (a /Me write decodes its answer as the user) neither fills nor uses the
    /// cache every other request reads: what that identity may see of groups is not what the service account sees.
    @Test func readsAsAnotherIdentityLeaveTheCacheToTheServiceAccount() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let registry = try SchemaRegistry.load(directory: GatewayHarness.repository.appendingPathComponent("schema/scim"))
        let users = try #require(registry.resourceType(named: "User"))
        let context = StoreContext(logger: Logger(label: "tests"))
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let name = "owner-\(UUID().uuidString.prefix(6).lowercased())"
            let user = try #require(
                try await client.execute(uri: "/scim/v2/Users", method: .post, headers: auth, body: jsonBody(userJSON(name)))
                    .json?["id"]?.stringValue)
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"owners","members":[{"value":"\#(user)"}]}"#))
            #expect(group.status == .created)
            let store = harness.gateway.store
            var owner = store
            owner.pool = store.pool.acting(as: "dn:uid=\(name),\(harness.slapd.peopleDN)")
            store.groupCache.clear()
            let asOwner = try await owner.get(id: user, type: users, projection: .all, context: context)
            #expect(asOwner.resource["groups"]?[0]?["display"]?.stringValue == "owners")
            #expect(store.groupCache.count == 0, "a read made as the user filled the shared group cache")
            _ = try await store.get(id: user, type: users, projection: .all, context: context)
            #expect(store.groupCache.count == 1)
        }
    }

    /// A group renamed directly in LDAP (not through this gateway) shows at once: the change feed clears the
    /// cache. Without the feed it would show the old name for the cache's lifetime.
    @Test func aGroupRenamedInLDAPShowsAtOnceWhileTheFeedIsFollowed() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let follower = Task { await harness.gateway.store.followDirectoryChanges(retryDelay: .milliseconds(100)) }
        defer { follower.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !harness.gateway.store.groupCache.isFollowing, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(harness.gateway.store.groupCache.isFollowing)
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let user = try #require(
                try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth,
                    body: jsonBody(userJSON("followed"))
                ).json?["id"]?.stringValue)
            _ = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"old-name","members":[{"value":"\#(user)"}]}"#)
                )
                .json?["id"]?.stringValue)
            func groups() async throws -> JSONValue? {
                try await client.execute(uri: "/scim/v2/Users/\(user)", method: .get, headers: auth).json?["groups"]
            }
            #expect(try await groups()?[0]?["display"]?.stringValue == "old-name")
            #expect(try await groups()?[0]?["display"]?.stringValue == "old-name")  // now from the cache
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            let renamedAt = ContinuousClock.now
            _ = try await admin.rename(dn: "cn=old-name,\(harness.slapd.groupsDN)", newRDN: "cn=new-name")
            var shown: String?
            while ContinuousClock.now - renamedAt < .seconds(4) {
                shown = try await groups()?[0]?["display"]?.stringValue
                if shown == "new-name" { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(shown == "new-name")
            // Below the 5 s lifetime the cache would otherwise need (typically a few ms).
            #expect(ContinuousClock.now - renamedAt < .seconds(4))
            print("group renamed in LDAP: shown after \(ContinuousClock.now - renamedAt)")
        }
    }
}
