import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import Logging
import NIOCore
import SCIMApp
import SCIMCore
import SCIMLDAP
import SlapdHarness
import Testing

@Suite("Blocking libldap calls never stall HTTP")
struct ConcurrencyTests {
    static func users(_ count: Int, peopleDN: String) -> String {
        (1...count).map { index in
            """
            dn: uid=load\(index),\(peopleDN)
            objectClass: inetOrgPerson
            objectClass: scimUser
            uid: load\(index)
            cn: Load \(index)
            sn: Load
            description: \(String(repeating: "filler text ", count: 20))\(index)

            """
        }.joined(separator: "\n")
    }

    @Test func sixtyFourConcurrentSearchesWhileHTTPIsAnswered() async throws {
        let options = SlapdOptions(uncheckedLimit: 100_000, offlineLDIF: Self.users(3000, peopleDN: "ou=people,dc=example,dc=org"))
        let harness = try await GatewayHarness.start(poolSize: 8, options: options)
        defer { harness.stop() }
        let pool = harness.gateway.pool
        let peopleDN = harness.slapd.peopleDN
        try await harness.application().test(.live) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("concurrency.probe")))
            let id = try #require(created.json?["id"]?.stringValue)
            let started = ContinuousClock.now
            let searches = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<64 {
                        group.addTask {
                            let slow = index % 4 == 0  // 16 slow: unindexed substring scans returning every entry
                            let filter: LDAPFilter =
                                slow
                                ? .substrings("description", any: ["filler"])
                                : .equal("uid", "load\(index + 1)")
                            let result = try await pool.search(base: peopleDN, filter: filter, attributes: ["*"])
                            return result.entries.count
                        }
                    }
                    var counts: [Int] = []
                    for try await count in group { counts.append(count) }
                    return counts
                }
            }
            var statuses: [HTTPResponse.Status] = []
            var slowest = Duration.zero
            while statuses.count < 60 {
                let before = ContinuousClock.now
                let path = statuses.count % 3 == 2 ? "/scim/v2/Users/\(id)" : "/scim/v2/ServiceProviderConfig"
                let response = try await client.execute(uri: path, method: .get, headers: GatewayHarness.auth)
                slowest = max(slowest, ContinuousClock.now - before)
                statuses.append(response.status)
            }
            let counts = try await searches.value
            print("64 searches (16 slow) took \(ContinuousClock.now - started); 60 HTTP requests meanwhile, slowest \(slowest)")
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(counts.count == 64)
            #expect(counts.filter { $0 == 3000 }.count == 16)
            #expect(counts.filter { $0 == 1 }.count == 48)
        }
    }
}

@Suite("Writes never wait for a second pooled connection")
struct PoolExhaustionTests {
    /// Every write clears the group cache, so reading the written user back searches its groups. When that
    /// search ran while the write still held its connection, as many concurrent writes as pooled connections
    /// each waited for another connection: the gateway hung for good (seen in the benchmark, PATCH at c=16).
    @Test func moreConcurrentWritesThanConnectionsAllFinish() async throws {
        let harness = try await GatewayHarness.start(poolSize: 2)
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            var ids: [String] = []
            for index in 0..<4 {
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON("exhaust\(index)")))
                ids.append(try #require(created.json?["id"]?.stringValue))
            }
            let members = ids.map { #"{"value":"\#($0)"}"# }.joined(separator: ",")
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Exhaust","members":[\#(members)]}"#))
            #expect(group.status == .created)
            let store = harness.gateway.store
            let registry = try SchemaRegistry.load(directory: GatewayHarness.repository.appendingPathComponent("schema/scim"))
            let users = try #require(registry.resourceType(named: "User"))
            let patch = try PatchRequest(
                json: try JSONValue.parse(
                    Data(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"T"}]}"#
                            .utf8),
                    maxDepth: 16, maxBytes: 4096))
            let created = ids
            let finished = try await withThrowingTaskGroup(of: Int.self) { race in
                race.addTask {
                    try await withThrowingTaskGroup(of: Bool.self) { writes in
                        for round in 0..<24 {
                            let id = created[round % created.count]
                            writes.addTask {
                                if round % 2 == 0 {
                                    let done = try await store.patch(
                                        id: id, request: patch, type: users, projection: .all, ifMatch: nil,
                                        context: StoreContext(logger: Logger(label: "tests")))
                                    return done.resource["title"]?.stringValue == "T"
                                }
                                let resource = try JSONValue.parse(
                                    Data(userJSON("exhaust\(round % created.count)", extra: #""title":"P""#).utf8),
                                    maxDepth: 16, maxBytes: 4096)
                                let done = try await store.replace(
                                    id: id, with: resource, type: users, ifMatch: nil,
                                    context: StoreContext(logger: Logger(label: "tests")))
                                return done.resource["title"]?.stringValue == "P"
                            }
                        }
                        var succeeded = 0
                        for try await ok in writes where ok { succeeded += 1 }
                        return succeeded
                    }
                }
                race.addTask {
                    try await Task.sleep(for: .seconds(25))
                    return -1  // the writes did not finish: they are stuck
                }
                let first = try await race.next() ?? -1
                race.cancelAll()
                return first
            }
            #expect(finished == 24, "the concurrent writes did not all finish (-1: stuck)")
        }
    }
}
