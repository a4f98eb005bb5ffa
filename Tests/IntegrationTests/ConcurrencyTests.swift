import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
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
            let created = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                                                   body: jsonBody(userJSON("concurrency.probe")))
            let id = try #require(created.json?["id"]?.stringValue)
            let started = ContinuousClock.now
            let searches = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<64 {
                        group.addTask {
                            let slow = index % 4 == 0  // 16 slow: unindexed substring scans returning every entry
                            let filter: LDAPFilter = slow ? .substrings("description", any: ["filler"])
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
