import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import SCIMApp
import SCIMCore
import SCIMProvisioning
import SlapdHarness
import Testing

/// Outbound provisioning when things break: the target away, the directory restarted, the provisioning
/// instance gone. Nothing is lost, nothing is duplicated on the target.
@Suite("Outbound provisioning under faults", .serialized)
struct ProvisioningFaultTests {
    @Test func aTargetThatIsAwayLosesNothingAndShowsItsBackoff() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let runner = f.run()
        defer { runner.cancel() }
        let first = try await f.createUser("away.0")
        _ = try await f.eventually("/Users") { resource($0, externalId: first) != nil }

        // The target goes away (503 with Retry-After, as behind a load balancer) while changes keep coming.
        f.proxy.setDown(true)
        var ids = [first]
        for index in 1...5 { ids.append(try await f.createUser("away.\(index)")) }
        try await f.adminModify(try await f.dn(ofUser: "away.0"), [.replace("displayName", ["Changed While Away"])])
        // The backoff is visible in the directory (what `provision status` shows).
        var pending: [ProvisioningRecord] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            pending = try await f.engine.state.records(status: .pending)
            if pending.count >= 5 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(pending.count >= 5)
        #expect(pending.contains { $0.lastError?.contains("HTTP 503") == true && $0.failures >= 1 })
        // Each waits for its backoff: the target's 503, or the open circuit that stopped sending.
        #expect(
            pending.allSatisfy {
                ($0.lastError?.contains("HTTP 503") == true || $0.lastError?.contains("circuit open") == true)
                    && $0.nextAttempt != nil
            },
            "\(pending.map { "\($0.failures) \($0.lastError ?? "")" })")

        // It comes back: everything arrives, once.
        f.proxy.setDown(false)
        let users = try await f.eventually("/Users", within: 30) { users in
            Set(externalIDs(users)).isSuperset(of: ids)
                && resource(users, externalId: first)?["displayName"]?.stringValue == "Changed While Away"
        }
        #expect(Set(externalIDs(users)).isSuperset(of: ids))
        #expect(resource(users, externalId: first)?["displayName"]?.stringValue == "Changed While Away")
        let names = users.compactMap { $0["userName"]?.stringValue }
        #expect(Set(names).count == names.count, "duplicates: \(names.sorted())")
        // Every record settles as synced (a retry may still be finishing when the users show).
        var stillPending: [ProvisioningRecord] = []
        for _ in 0..<100 {
            stillPending = try await f.engine.state.records().filter { $0.status != .synced }
            if stillPending.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(stillPending.isEmpty, "\(stillPending)")
    }

    @Test func manyWaitingResourcesAreCaughtUpByOneReconciliation() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let runner = f.run()
        defer { runner.cancel() }
        let first = try await f.createUser("many.0")
        _ = try await f.eventually("/Users") { resource($0, externalId: first) != nil }
        // The target away while an admin adds 150 people with LDAP, behind the gateway's back.
        f.proxy.setDown(true)
        let admin = try await LDAPConnection.connect(f.harness.slapd.adminConfiguration())
        for index in 1...150 {
            let uid = "many.\(index)"
            try await admin.add(
                dn: "uid=\(uid),\(f.harness.slapd.peopleDN)",
                attributes: [
                    ("objectClass", [Array("inetOrgPerson".utf8)]), ("uid", [Array(uid.utf8)]),
                    ("cn", [Array("Many \(index)".utf8)]), ("sn", [Array("Many".utf8)]),
                ])
        }
        var pending: [ProvisioningRecord] = []
        for _ in 0..<100 {
            pending = try await f.engine.state.records(status: .pending)
            if pending.count > 100 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(pending.count > 100)
        // Back: all arrive, once, through one listing of the target rather than a search per resource.
        f.proxy.clear()
        f.proxy.setDown(false)
        let users = try await f.eventually("/Users", within: 60) { users in
            Set(users.compactMap { $0["userName"]?.stringValue }).isSuperset(of: (1...150).map { "many.\($0)" })
        }
        let names = users.compactMap { $0["userName"]?.stringValue }
        #expect(Set(names).count == names.count, "duplicates")
        #expect(names.filter { $0.hasPrefix("many.") }.count == 151)
        let searches = f.proxy.requests.filter { $0.method == "GET" && $0.path.contains("filter=") }
        #expect(searches.count < 30, "\(searches.count) searches on the target")
        var waiting: [ProvisioningRecord] = []
        for _ in 0..<100 {
            waiting = try await f.engine.state.records().filter { $0.status != .synced }
            if waiting.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(waiting.isEmpty, "\(waiting.count) not synced")
    }

    @Test func aTargetWhoseBulkEndpointIsMissingGetsPosts() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        // Its ServiceProviderConfig offers Bulk, but /Bulk answers 404.
        f.proxy.refuseBulk(true)
        var ids: [String] = []
        for index in 0..<6 { ids.append(try await f.createUser("nobulk.\(index)")) }
        let report = try await f.engine.reconcile()
        #expect(report.counts["created"] ?? 0 >= 6, "\(report.counts)")
        let alone = f.proxy.creates.filter { !$0.bulk && ($0.request.body?["userName"]?.stringValue ?? "").hasPrefix("nobulk.") }
        #expect(alone.count == 6)
        let users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        for id in ids { #expect(resource(users, externalId: id) != nil) }
        #expect(users.filter { ($0["userName"]?.stringValue ?? "").hasPrefix("nobulk.") }.count == 6)
        // Remembered: the next reconciliation does not try /Bulk again.
        for index in 6..<9 { ids.append(try await f.createUser("nobulk.\(index)")) }
        f.proxy.clear()
        _ = try await f.engine.reconcile()
        #expect(!f.proxy.requests.contains { $0.path.hasPrefix("/Bulk") })
        #expect(f.proxy.creates.filter { !$0.bulk }.count == 3)
    }

    @Test func aPostWhoseAnswerWasLostCreatesNoDuplicate() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let runner = f.run()
        defer { runner.cancel() }
        let warmup = try await f.createUser("lost.0")
        _ = try await f.eventually("/Users") { resource($0, externalId: warmup) != nil }
        f.proxy.clear()
        // The POST creates the user on the target, but the answer never comes back.
        f.proxy.loseAnswers(toNextPosts: 1)
        let id = try await f.createUser("lost.1")
        let users = try await f.eventually("/Users", within: 30) { resource($0, externalId: id) != nil }
        #expect(users.filter { $0["userName"]?.stringValue == "lost.1" }.count == 1)
        // Not posted a second time: found by its externalId and recorded as synced with the target's id.
        var record: ProvisioningRecord?
        for _ in 0..<100 {
            record = try await f.engine.state.record(id)
            if record?.status == .synced { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(record?.status == .synced, "\(String(describing: record))")
        #expect(record?.remoteID == resource(users, externalId: id)?["id"]?.stringValue)
        let posts = f.proxy.creates.filter { $0.request.body?["userName"]?.stringValue == "lost.1" }
        #expect(posts.count == 1, "\(posts.count) POSTs")
    }

    @Test func aTargetThatRefusesConnectionsIsCaughtUpWhenItStarts() async throws {
        // The target is not running at all (its port refuses connections) when provisioning starts.
        let target = try await SCIMTargetServer.start()
        defer { target.stop() }
        let port = try ProcessRunner.freePort()
        let harness = try await GatewayHarness.start { config in
            var settings = GatewayConfig.Target(name: "later", url: "http://127.0.0.1:\(port)")
            settings.token = SCIMTargetServer.token
            settings.reconcileSeconds = 0
            var provisioning = GatewayConfig.Provisioning()
            provisioning.targets = [settings]
            provisioning.leaseSeconds = 3
            config.provisioning = provisioning
        }
        defer { harness.stop() }
        let provisioner = harness.gateway.provisioners(holder: "a")[0]
        let runner = Task { await provisioner.run() }
        defer { runner.cancel() }
        let ids = try await harness.application().test(.router) { client in
            var ids: [String] = []
            for index in 0..<3 {
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON("refused.\(index)")))
                ids.append(created.json?["id"]?.stringValue ?? "")
            }
            return ids
        }
        let engine = harness.gateway.provisioning[0]
        // Nothing reaches a port that refuses connections; no sync cookie is recorded while the first
        // reconciliation has not succeeded (a restart now would not skip these users).
        try await Task.sleep(for: .seconds(3))
        #expect(try await engine.state.targetState().cookie == nil)
        #expect(try await engine.state.records(status: .synced).isEmpty)

        // The target comes up on that port: the waiting changes arrive from the directory's records.
        let proxy = try await RecordingProxy.start(upstream: target.url, port: port)
        defer { proxy.stop() }
        let users = try await TargetProbe.eventually(target.url, "/Users", within: 60) { Set(externalIDs($0)).isSuperset(of: ids) }
        #expect(Set(externalIDs(users)).isSuperset(of: ids))
        #expect(users.count == 3)
        // Then the feed position is recorded.
        var cookie: [UInt8]?
        for _ in 0..<50 where cookie == nil {
            cookie = try await engine.state.targetState().cookie
            if cookie == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(cookie != nil)
    }

    @Test func aSlapdRestartResumesFromTheCookieWithoutAFullResync() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let runner = f.run()
        defer { runner.cancel() }
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await f.createUser("resume.\(index)")) }
        _ = try await f.eventually("/Users") { Set(externalIDs($0)).isSuperset(of: ids) }
        try await Task.sleep(for: .seconds(1.5))  // a checkpoint of the cookie

        f.proxy.clear()
        try await f.harness.slapd.restart()
        var created: String?
        for _ in 0..<50 where created == nil {
            created = try? await f.createUser("resume.after")  // the gateway's pool reconnects first
            if created == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        let after = try #require(created)
        try await f.adminModify(try await f.dn(ofUser: "resume.1"), [.replace("displayName", ["After Restart"])])
        let users = try await f.eventually("/Users", within: 30) { users in
            resource(users, externalId: after) != nil && resource(users, externalId: ids[1])?["displayName"]?.stringValue == "After Restart"
        }
        #expect(resource(users, externalId: after) != nil)
        #expect(resource(users, externalId: ids[1])?["displayName"]?.stringValue == "After Restart")
        // Only the two changes went out: no listing of the target (reconciliation), no write for the other users.
        let requests = f.proxy.requests
        #expect(!requests.contains { $0.method == "GET" && $0.path.contains("startIndex") }, "\(requests.map { "\($0.method) \($0.path)" })")
        let writes = f.proxy.writes
        #expect(writes.count == 2, "\(writes.map { "\($0.method) \($0.path)" })")
    }

    @Test func anotherInstanceTakesTheLeaseWhenTheFirstDies() async throws {
        let f = try await ProvisioningFixture.start(leaseSeconds: 3)
        defer { f.stop() }
        let a = f.run(holder: "instance-a", crashes: true)
        var holder: String?
        for _ in 0..<50 {
            holder = try await f.engine.state.targetState().leaseHolder
            if holder != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(holder == "instance-a")
        let b = f.run(holder: "instance-b")
        defer { b.cancel() }
        let first = try await f.createUser("lease.first")
        _ = try await f.eventually("/Users") { resource($0, externalId: first) != nil }

        // instance-a dies without giving the lease up; instance-b takes it within the lease time.
        a.cancel()
        let died = ContinuousClock.now
        let second = try await f.createUser("lease.second")
        let users = try await f.eventually("/Users", within: 20) { resource($0, externalId: second) != nil }
        let tookOver = ContinuousClock.now - died
        #expect(resource(users, externalId: second) != nil)
        #expect(try await f.engine.state.targetState().leaseHolder == "instance-b")
        #expect(tookOver < .seconds(10), "took \(tookOver)")
        let names = users.compactMap { $0["userName"]?.stringValue }
        #expect(Set(names).count == names.count)
    }
}
