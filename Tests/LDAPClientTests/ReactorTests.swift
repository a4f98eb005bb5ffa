import Foundation
@testable import LDAPClient
import SlapdHarness
import Testing

/// Replies collected by `LDAPReactor` (one thread watching every connection's socket) against a real slapd.
@Suite("LDAP replies through the reactor")
struct ReactorTests {
    @Test func everyReplyReachesItsOwnCaller() async throws {
        let slapd = try await TestDirectory.shared()
        let pool = LDAPPool(configuration: slapd.serviceConfiguration(poolSize: 6))
        defer { pool.shutdown() }
        let created = try await pool.withConnection { connection in
            var dns: [String] = []
            for _ in 0..<12 {
                let person = TestDirectory.person(TestDirectory.unique("reactor"), in: slapd)
                _ = try await connection.add(dn: person.dn, attributes: person.attributes)
                dns.append(person.dn)
            }
            return dns
        }
        // 300 reads at once over 6 connections, each for one of 12 entries: each caller must get its own entry.
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<300 {
                let dn = created[index % created.count]
                group.addTask {
                    let result = try await pool.search(base: dn, scope: .base, attributes: ["uid"])
                    return result.entries.map(\.dn) == [dn] ? 0 : 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        try await pool.withConnection { connection in
            for dn in created { _ = try await connection.delete(dn: dn) }
        }
    }

    @Test func aLargeReplyArrivingInPiecesIsReadWhole() async throws {
        // The subschema entry is a few hundred kilobytes: it reaches the socket in many reads.
        let connection = try await TestDirectory.serviceConnection()
        let result = try await connection.search(
            base: "cn=Subschema", scope: .base,
            filter: .equal("objectClass", "subschema"),
            attributes: [
                "attributeTypes", "objectClasses", "matchingRules",
                "matchingRuleUse", "ldapSyntaxes",
            ])
        let entry = try #require(result.entries.first)
        let types = entry.values("attributeTypes")
        let size = entry.attributes.reduce(0) { total, attribute in total + attribute.values.reduce(0) { $0 + $1.count } }
        #expect(types.count > 100)
        #expect(entry.values("matchingRuleUse").count > 10)
        #expect(size > 64 * 1024, "\(size) bytes")
        #expect(types.contains { String(decoding: $0, as: UTF8.self).contains("'entryUUID'") })
        // The same connection goes on working after the big reply.
        let again = try await connection.search(
            base: "cn=Subschema", scope: .base,
            filter: .equal("objectClass", "subschema"), attributes: ["attributeTypes"])
        #expect(again.entries.first?.values("attributeTypes").count == types.count)
    }

    @Test func aDirectoryThatStopsAnsweringTimesOutAndThePoolRecovers() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        var configuration = slapd.serviceConfiguration(poolSize: 2)
        configuration.operationTimeout = .milliseconds(800)
        let pool = LDAPPool(configuration: configuration)
        defer { pool.shutdown() }
        _ = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
        let pid = try #require(slapd.pid)

        Foundation.kill(pid, SIGSTOP)
        try await waitUntilStopped(pid)
        let started = ContinuousClock.now
        var code: LDAPResultCode?
        do {
            _ = try await pool.withConnection { connection in
                try await connection.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
            }
        } catch let error as LDAPError {
            code = error.code
        }
        let waited = ContinuousClock.now - started
        Foundation.kill(pid, SIGCONT)
        #expect(code == .timeout)
        #expect(waited >= .milliseconds(700) && waited < .seconds(5), "waited \(waited)")

        // The timed-out connection was dropped; the next read runs on a fresh one.
        let after = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
        #expect(after.entries.first?.string("cn") == "scim-gateway")
    }

    /// SIGSTOP takes effect asynchronously: wait until /proc shows the process stopped.
    private func waitUntilStopped(_ pid: Int32) async throws {
        for _ in 0..<100 {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            // "pid (comm) S ...": the state follows the closing parenthesis.
            if let close = stat.lastIndex(of: ")"), stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T") {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("slapd did not stop")
    }
}
