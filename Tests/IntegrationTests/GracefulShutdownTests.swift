import Foundation
import SlapdHarness
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM while requests are in flight, against the real binary: they finish with their responses (no reset),
/// new connections are refused, the process exits 0 within the drain timeout and closes the LDAP pool last.
@Suite("Graceful shutdown: SIGTERM under load")
struct GracefulShutdownTests {
    @Test func sigtermDrainsRequestsInFlightThenExitsZero() async throws {
        let slapd = try await SlapdInstance.start(schemaDirectory: GatewayHarness.repository.appendingPathComponent("schema"))
        defer { slapd.stop() }
        let drainSeconds = 8
        // The network timeout (which also bounds binds) outlasts the freeze below, so connections opened while
        // slapd is frozen wait rather than fail.
        let gateway = try await GatewayProcess.start(
            slapd: slapd, server: ["drainTimeoutSeconds: \(drainSeconds)"],
            ldap: ["networkTimeoutSeconds: 6", "operationTimeoutSeconds: 15", "poolSize: 4"])
        defer { gateway.stop() }
        let warm = try await gateway.curl(["-o", "/dev/null", "\(gateway.baseURL)/Users?count=1"])
        #expect(warm.status == "200")

        // Requests that cannot finish yet: slapd is frozen, so each waits on the directory.
        guard let slapdPID = slapd.pid else { Issue.record("slapd has no pid"); return }
        kill(slapdPID, SIGSTOP)
        var thawed = false
        defer { if !thawed { kill(slapdPID, SIGCONT) } }
        let inFlight = 12
        let requests = (0..<inFlight).map { index in
            Task { try await gateway.curl(["-o", "/dev/null", "\(gateway.baseURL)/Users?filter=userName%20eq%20%22u\(index)%22"]) }
        }
        try await Task.sleep(for: .seconds(1))  // every request is accepted and waiting on LDAP

        let signalled = ContinuousClock.now
        kill(gateway.pid, SIGTERM)
        try await Task.sleep(for: .milliseconds(500))
        // A new connection during the drain is refused (curl exit 7) or, at worst, answered 503; never reset.
        let late = try await gateway.curl(["-o", "/dev/null", "\(gateway.baseURL)/Users?count=1"], maxTime: 5)
        #expect(late.exit == 7 || late.status == "503", "a request after SIGTERM: curl exit \(late.exit), status \(late.status)")
        #expect(gateway.process.isRunning, "the gateway waits for the requests in flight")

        kill(slapdPID, SIGCONT)
        thawed = true
        var answered = 0
        for request in requests {
            let result = try await request.value
            #expect(
                result.exit == 0 && result.status == "200",
                "a request in flight at SIGTERM: curl exit \(result.exit) (56 = reset, 52 = empty reply), status \(result.status)")
            if result.exit == 0 && result.status == "200" { answered += 1 }
        }
        let status = await gateway.waitForExit(within: .seconds(drainSeconds + 5))
        let took = ContinuousClock.now - signalled
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running")")
        #expect(took < .seconds(drainSeconds), "exit \(took) after SIGTERM; drain timeout \(drainSeconds) s")
        #expect(answered == inFlight)

        // The pool closes after HTTP has drained: its line comes last.
        let log = gateway.log()
        let draining = log.range(of: "shutting down: new connections refused")
        let drained = log.range(of: "HTTP drained; closing the LDAP pool")
        let closed = log.range(of: "LDAP pool closed")
        #expect(draining != nil && drained != nil && closed != nil, "shutdown lines missing from the log:\n\(log.suffix(3000))")
        if let draining, let drained, let closed {
            #expect(draining.lowerBound < drained.lowerBound && drained.lowerBound < closed.lowerBound)
        }
    }

    /// Past the drain timeout, requests still waiting are cut off and the process exits anyway (0: it was asked
    /// to stop), instead of hanging on a directory that never answers.
    @Test func aRequestOutlastingTheDrainTimeoutDoesNotHoldTheProcess() async throws {
        let slapd = try await SlapdInstance.start(schemaDirectory: GatewayHarness.repository.appendingPathComponent("schema"))
        defer { slapd.stop() }
        let gateway = try await GatewayProcess.start(
            slapd: slapd, server: ["drainTimeoutSeconds: 2"],
            ldap: ["networkTimeoutSeconds: 20", "operationTimeoutSeconds: 30", "poolSize: 2"])
        defer { gateway.stop() }
        guard let slapdPID = slapd.pid else { Issue.record("slapd has no pid"); return }
        kill(slapdPID, SIGSTOP)
        defer { kill(slapdPID, SIGCONT) }
        let stuck = Task { try await gateway.curl(["-o", "/dev/null", "\(gateway.baseURL)/Users?count=1"]) }
        try await Task.sleep(for: .seconds(1))
        let signalled = ContinuousClock.now
        kill(gateway.pid, SIGTERM)
        let status = await gateway.waitForExit(within: .seconds(12))
        let took = ContinuousClock.now - signalled
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running"); log:\n\(gateway.log().suffix(3000))")
        #expect(took < .seconds(2) + .seconds(3), "exit \(took) after SIGTERM with a 2 s drain timeout")
        let result = try await stuck.value
        #expect(result.status != "200", "the stuck request cannot have succeeded")
    }
}
