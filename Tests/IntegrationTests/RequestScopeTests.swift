import Foundation
import LDAPClient
import Logging
import SCIMApp
import SCIMCore
import SCIMLDAP
import SlapdHarness
import Testing

/// The store honours the `RequestScope` of each call's `StoreContext` through each client's `DirectoryScope` against a real slapd:
/// subtree limits, proxied authorization (the directory's ACLs decide), /Me writes as the user's own entry, and
/// password checks by LDAP bind.
@Suite("Request scope in the LDAP store")
struct RequestScopeTests {
    struct Fixture {
        let harness: GatewayHarness
        let store: LDAPResourceStore
        let users: ResolvedResourceType
    }

    static func fixture() async throws -> Fixture {
        let harness = try await GatewayHarness.start()
        let repository = GatewayHarness.repository
        let mapping = try Mapping.load(
            repository.appendingPathComponent("Config/mapping/bundled.yaml"),
            suffix: harness.slapd.suffix)
        let registry = try SchemaRegistry.load(directory: repository.appendingPathComponent("schema/scim"))
        let suffix = harness.slapd.suffix, people = harness.slapd.peopleDN
        let scopes: [String: DirectoryScope] = [
            "suffix": DirectoryScope(baseDN: suffix), "alice": DirectoryScope(baseDN: "uid=alice,\(people)"),
            "elsewhere": DirectoryScope(baseDN: "ou=elsewhere,\(suffix)"),
            "reader": DirectoryScope(proxiedAuthorizationID: "dn:uid=reader,\(people)"),
            "admin-proxy": DirectoryScope(proxiedAuthorizationID: "dn:cn=admin,\(suffix)"),
        ]
        let store = LDAPResourceStore(
            pool: harness.gateway.pool, mapping: mapping, baseURL: "https://scim.test/scim/v2",
            clientScopes: scopes)
        return Fixture(harness: harness, store: store, users: try #require(registry.resourceType(named: "User")))
    }

    /// The gateway's own work: no client, no acting user.
    static let logger = Logger(label: "tests")
    static let gateway = StoreContext(logger: logger)

    static func user(_ name: String, password: String? = nil) throws -> JSONValue {
        var text = #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\#(name)""#
        if let password { text += #","password":"\#(password)""# }
        return try JSONValue.parse(Data((text + "}").utf8), maxDepth: 16, maxBytes: 4096)
    }

    static func status(_ body: () async throws -> Void) async -> Int? {
        do {
            try await body()
            return nil
        } catch let error as SCIMError {
            return error.status
        } catch {
            return -1
        }
    }

    @Test func subtreeLimitsWhatAClientSees() async throws {
        let f = try await Self.fixture()
        defer { f.harness.stop() }
        let alice = try await f.store.create(Self.user("alice"), type: f.users, context: Self.gateway)
        let bob = try await f.store.create(Self.user("bob"), type: f.users, context: Self.gateway)
        let aliceID = try #require(alice.id), bobID = try #require(bob.id)
        let all = SearchRequest(filter: nil, projection: .all)

        // The whole suffix: everything visible.
        do {
            let context = StoreContext(logger: Self.logger, scope: RequestScope(clientName: "suffix"))
            #expect(try await f.store.search(all, type: f.users, context: context).totalResults == 2)
        }
        // One entry's own subtree: that entry only.
        do {
            let context = StoreContext(logger: Self.logger, scope: RequestScope(clientName: "alice"))
            let page = try await f.store.search(all, type: f.users, context: context)
            #expect(page.resources.map(\.id) == [aliceID])
            #expect(try await f.store.get(id: aliceID, type: f.users, projection: .all, context: context).id == aliceID)
            let status1 = await Self.status { _ = try await f.store.get(id: bobID, type: f.users, projection: .all, context: context) }
            #expect(status1 == 404)
            let status2 = await Self.status { try await f.store.delete(id: bobID, type: f.users, ifMatch: nil, context: context) }
            #expect(status2 == 404)
            // New users land in ou=people, outside this client's view.
            let status3 = await Self.status { _ = try await f.store.create(Self.user("carol"), type: f.users, context: context) }
            #expect(status3 == 403)
        }
        // A subtree beside the users: nothing.
        do {
            let context = StoreContext(logger: Self.logger, scope: RequestScope(clientName: "elsewhere"))
            #expect(try await f.store.search(all, type: f.users, context: context).totalResults == 0)
            let status4 = await Self.status { _ = try await f.store.get(id: aliceID, type: f.users, projection: .all, context: context) }
            #expect(status4 == 404)
        }
        #expect(try await f.store.search(all, type: f.users, context: Self.gateway).totalResults == 2)
    }

    @Test func proxiedAuthorizationAppliesDirectoryACLs() async throws {
        let f = try await Self.fixture()
        defer { f.harness.stop() }
        let reader = try await f.store.create(Self.user("reader"), type: f.users, context: Self.gateway)
        // An ordinary user may read (by users read) but not write: the directory denies, the client sees 403.
        do {
            let context = StoreContext(logger: Self.logger, scope: RequestScope(clientName: "reader"))
            #expect(try await f.store.search(SearchRequest(filter: nil, projection: .all), type: f.users, context: context).totalResults == 1)
            let status5 = await Self.status { _ = try await f.store.create(Self.user("intruder"), type: f.users, context: context) }
            #expect(status5 == 403)
            let status6 = await Self.status { try await f.store.delete(id: reader.id ?? "", type: f.users, ifMatch: nil, context: context) }
            #expect(status6 == 403)
        }
        // An identity the service account may not proxy as (outside its authzTo): refused, 403.
        do {
            let context = StoreContext(logger: Self.logger, scope: RequestScope(clientName: "admin-proxy"))
            let status7 = await Self.status {
                _ = try await f.store.search(SearchRequest(filter: nil, projection: .all), type: f.users, context: context)
            }
            #expect(status7 == 403)
        }
        let check = try await f.harness.ldap().search(base: f.harness.slapd.peopleDN, filter: .equal("uid", "intruder"))
        #expect(check.entries.isEmpty)
    }

    @Test func meWritesRunAsTheUserAndPasswordsAreCheckedByBind() async throws {
        let f = try await Self.fixture()
        defer { f.harness.stop() }
        let dana = try await f.store.create(Self.user("dana", password: "first-Password-1"), type: f.users, context: Self.gateway)
        let danaID = try #require(dana.id)
        #expect(try await f.store.verifyPassword(userName: "dana", password: "first-Password-1", type: f.users, context: Self.gateway) == danaID)
        #expect(try await f.store.verifyPassword(userName: "dana", password: "wrong-Password-1", type: f.users, context: Self.gateway) == nil)
        #expect(try await f.store.verifyPassword(userName: "dana", password: "", type: f.users, context: Self.gateway) == nil)
        #expect(try await f.store.verifyPassword(userName: "nobody", password: "first-Password-1", type: f.users, context: Self.gateway) == nil)

        do {
            let context = StoreContext(logger: Self.logger, scope: RequestScope(actingUserID: danaID))
            // Her own password: allowed by the directory (self write), checked by its policy as her change.
            _ = try await f.store.replace(
                id: danaID, with: Self.user("dana", password: "second-Password-2"), type: f.users,
                ifMatch: nil, context: context)
            let status8 = await Self.status {
                _ = try await f.store.replace(id: danaID, with: Self.user("dana", password: "short"), type: f.users, ifMatch: nil, context: context)
            }
            #expect(status8 == 400)
            // Other attributes of her entry: the bundled ACLs give users read only.
            let renamed = try JSONValue.parse(
                Data(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"dana","title":"Boss"}"#.utf8),
                maxDepth: 16, maxBytes: 4096)
            let status9 = await Self.status {
                _ = try await f.store.replace(id: danaID, with: renamed, type: f.users, ifMatch: nil, context: context)
            }
            #expect(status9 == 403)
        }
        #expect(try await f.store.verifyPassword(userName: "dana", password: "second-Password-2", type: f.users, context: Self.gateway) == danaID)
        // The old password is gone (a change replaces, it never adds a second value).
        #expect(try await f.store.verifyPassword(userName: "dana", password: "first-Password-1", type: f.users, context: Self.gateway) == nil)
        // A client's PUT with a new password (no /Me) replaces it too.
        _ = try await f.store.replace(
            id: danaID, with: Self.user("dana", password: "third-Password-3"), type: f.users, ifMatch: nil, context: Self.gateway)
        #expect(try await f.store.verifyPassword(userName: "dana", password: "second-Password-2", type: f.users, context: Self.gateway) == nil)
        #expect(try await f.store.verifyPassword(userName: "dana", password: "third-Password-3", type: f.users, context: Self.gateway) == danaID)
        let entry = try await f.harness.ldap().search(
            base: f.harness.slapd.peopleDN, filter: .equal("uid", "dana"),
            attributes: ["title"])
        #expect(entry.entries.first?.string("title") == nil)
    }
}
