import Foundation
@testable import LDAPClient
import SlapdHarness
@testable import SlapdLauncher
import Testing

@Suite("LDAPPool against slapd, as the service account")
struct PoolTests {
    @Test func aCallerWaitsForAConnectionAtMostTheOperationTimeout() async throws {
        let slapd = try await TestDirectory.shared()
        var configuration = slapd.serviceConfiguration(poolSize: 1)
        configuration.operationTimeout = .milliseconds(600)
        let pool = LDAPPool(configuration: configuration)
        defer { pool.shutdown() }
        let holder = Task {
            try await pool.withConnection { _ in try await Task.sleep(for: .seconds(3)) }
        }
        try await Task.sleep(for: .milliseconds(200))  // the holder has the only connection by now
        let started = ContinuousClock.now
        let error = await LDAPTestSupport.expectLDAPError(.busy) {
            try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
        }
        let waited = ContinuousClock.now - started
        #expect(error != nil)
        #expect(waited >= .milliseconds(500) && waited < .seconds(5), "\(waited)")
        try await holder.value
        // Once the connection is back, callers get it again.
        #expect(try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]).entries.count == 1)
    }

    /// A frozen slapd (SIGSTOP) still accepts TCP connections. Every call is bounded anyway: a search on an open
    /// connection by the operation timeout, a new connection's bind by the network timeout; and once slapd
    /// thaws the pool answers again within about a second.
    @Test func aFrozenDirectoryHoldsNoCallerBeyondItsTimeouts() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        var configuration = slapd.serviceConfiguration(poolSize: 2)
        configuration.networkTimeout = .seconds(1)
        configuration.operationTimeout = .seconds(2)
        let pool = LDAPPool(configuration: configuration)
        defer { pool.shutdown() }
        #expect(try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]).entries.count == 1)
        let pid = try #require(slapd.pid)
        kill(pid, SIGSTOP)
        // Stopped for sure (state T in /proc) before the next request goes out.
        for _ in 0..<200 {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if stat.split(separator: ")").last?.split(separator: " ").first == "T" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        var thawed = false
        defer { if !thawed { kill(pid, SIGCONT) } }
        let clock = ContinuousClock()
        // On the pooled connection: the operation timeout (then a retry on a new connection: its bind timeout).
        var elapsed = await clock.measure {
            _ = await LDAPTestSupport.expectLDAPError { try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]) }
        }
        #expect(elapsed < .seconds(8), "search on a frozen directory took \(elapsed)")
        // A pool with no connection yet: connect succeeds, the bind must not wait for good.
        let fresh = LDAPPool(configuration: configuration)
        defer { fresh.shutdown() }
        elapsed = await clock.measure {
            _ = await LDAPTestSupport.expectLDAPError { try await fresh.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]) }
        }
        #expect(elapsed < .seconds(5), "connect and bind to a frozen directory took \(elapsed)")
        kill(pid, SIGCONT)
        thawed = true
        let maintenance = Task { await fresh.run() }
        defer { maintenance.cancel() }
        let back = ContinuousClock.now
        var answered: Duration?
        while ContinuousClock.now - back < .seconds(5) {
            if (try? await fresh.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])) != nil {
                answered = ContinuousClock.now - back
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let recovery = try #require(answered, "the pool answers again after the directory thaws")
        #expect(recovery < .seconds(3), "first answer \(recovery) after the thaw")
        print("frozen directory: first answer \(recovery) after SIGCONT")
    }

    /// A server that takes the TCP connection and closes it (one killed as it is reached) fails libldap's whole
    /// connect even when a later URI serves: a connection (the pool's, the change feed's) tries once more with
    /// that URI last instead of failing, and the pool does not count the directory as down (503 for every caller
    /// until the next probe).
    @Test func aServerClosingConnectionsAtOnceIsPassedForTheNextURI() async throws {
        let slapd = try await TestDirectory.shared()
        // SpawnedProcess: a clean signal mask (SIGTERM works) and none of this process's descriptors; the
        // listener also leaves when this process is gone.
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("closer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let closer = try SpawnedProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "-c",
                """
                import os, socket
                parent = os.getppid()
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16); s.settimeout(1)
                print(s.getsockname()[1], flush=True)
                while os.getppid() == parent:
                    try:
                        s.accept()[0].close()
                    except socket.timeout:
                        pass
                """,
            ],
            outputPath: portFile.path)
        defer {
            closer.signal(SIGTERM)
            closer.wait(timeout: .seconds(2))
        }
        var port: Int?
        for _ in 0..<500 where port == nil {
            // Only a whole line: a half-written number would name another port.
            if let line = try? String(contentsOf: portFile, encoding: .utf8), line.hasSuffix("\n") {
                port = Int(line.dropLast())
            }
            if port == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let listening = try #require(port)

        var configuration = slapd.serviceConfiguration(poolSize: 2)
        configuration.uris = ["ldap://127.0.0.1:\(listening)"] + configuration.uris
        let direct = try await LDAPConnection.connect(configuration)
        #expect(try await direct.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]).entries.count == 1)
        let pool = LDAPPool(configuration: configuration)
        defer { pool.shutdown() }
        #expect(try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]).entries.count == 1)
    }

    @Test func concurrentSearchesShareFourConnections() async throws {
        let slapd = try await TestDirectory.shared()
        let pool = LDAPPool(configuration: slapd.serviceConfiguration(poolSize: 4))
        defer { pool.shutdown() }
        let results = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    let result = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
                    return result.entries.first?.string("cn")
                }
            }
            var values: [String?] = []
            for try await value in group { values.append(value) }
            return values
        }
        #expect(results.count == 64)
        #expect(results.allSatisfy { $0 == "scim-gateway" })
        #expect(!pool.isDown)
        // every operation ran as the service account
        let identity = try await pool.withConnection { try await $0.whoAmI() }
        #expect(identity.lowercased() == "dn:\(slapd.serviceDN)".lowercased())
    }

    @Test func recoversAfterTheDirectoryComesBack() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        let configuration = slapd.serviceConfiguration(poolSize: 4)
        let pool = LDAPPool(configuration: configuration)
        defer { pool.shutdown() }
        let before = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
        #expect(before.entries.count == 1)

        slapd.kill()
        let first = await LDAPTestSupport.expectLDAPError(.serverDown) {
            try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
        }
        print("first failure after SIGKILL: \(first?.logDescription ?? "-")")
        #expect(pool.isDown)

        let clock = ContinuousClock()
        for attempt in 1...3 {
            var failure: LDAPError?
            let elapsed = await clock.measure {
                failure = await LDAPTestSupport.expectLDAPError(.serverDown) {
                    try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
                }
            }
            print("failing call \(attempt) while down took \(elapsed) (network timeout \(configuration.networkTimeout))")
            #expect(failure != nil)
            #expect(pool.isDown)
        }

        let maintenance = Task { await pool.run() }
        defer { maintenance.cancel() }
        try await slapd.restart()

        var recovered: LDAPSearchResult?
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if let result = try? await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"]) {
                recovered = result
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let result = try #require(recovered, "the same pool answers again within 5 s of the restart")
        #expect(result.entries.first?.string("cn") == "scim-gateway")
        #expect(!pool.isDown)
        // and keeps answering, concurrently, on the same pool
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["1.1"]) }
            }
            try await group.waitForAll()
        }
        maintenance.cancel()
        await maintenance.value
    }

    /// After a clean restart every idle connection is stale: the first read fails on one, the pool drops them all
    /// and retries on a fresh connection, so the caller sees no error.
    @Test func staleConnectionsAreReplacedTransparently() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        let pool = LDAPPool(configuration: slapd.serviceConfiguration(poolSize: 4))
        defer { pool.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["1.1"]) }
            }
            try await group.waitForAll()
        }
        try await slapd.restart()
        for _ in 0..<4 {
            let result = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["cn"])
            #expect(result.entries.first?.string("cn") == "scim-gateway")
        }
        #expect(!pool.isDown)
    }

    @Test func shutdownFailsFurtherCalls() async throws {
        let slapd = try await TestDirectory.shared()
        let pool = LDAPPool(configuration: slapd.serviceConfiguration(poolSize: 2))
        _ = try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["1.1"])
        pool.shutdown()
        await LDAPTestSupport.expectLDAPError(.serverDown) {
            try await pool.search(base: slapd.serviceDN, scope: .base, attributes: ["1.1"])
        }
    }
}

/// A stand-in connection: the state machine only needs identity.
final class FakeConnection: Sendable {
    let id: Int
    init(_ id: Int) { self.id = id }
}

@Suite("LDAPPoolState rules, without a directory")
struct PoolStateTests {
    typealias State = LDAPPoolState<FakeConnection, String>

    private let now = ContinuousClock.now
    private let backoff = Duration.milliseconds(100)

    private func isOpenNew(_ action: State.AcquireAction) -> Bool {
        if case .lease(.openNew) = action { return true }
        return false
    }

    private func existing(_ action: State.AcquireAction) -> FakeConnection? {
        if case .lease(.existing(let connection)) = action { return connection }
        return nil
    }

    private func isWait(_ action: State.AcquireAction) -> Bool {
        if case .wait = action { return true }
        return false
    }

    private func isFailFast(_ action: State.AcquireAction) -> Bool {
        if case .failFast = action { return true }
        return false
    }

    @Test func acquireOpensUpToCapacityThenWaits() {
        var state = State(capacity: 2)
        let r1 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r1))
        let r2 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isOpenNew(r2))
        #expect(state.open == 2)
        let r3 = state.acquire(now: now, waiterID: 3, waiter: "c")
        #expect(isWait(r3))
        let r4 = state.acquire(now: now, waiterID: 4, waiter: "d")
        #expect(isWait(r4))
        #expect(state.waiters.map(\.waiter) == ["c", "d"])
        #expect(state.open == 2)
        #expect(!state.isDown)
    }

    @Test func releaseHandsToTheFirstWaiterOrGoesIdle() {
        var state = State(capacity: 1)
        let connection = FakeConnection(1)
        let r5 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r5))
        let r6 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isWait(r6))
        let r7 = state.acquire(now: now, waiterID: 3, waiter: "c")
        #expect(isWait(r7))
        let handoff = state.release(connection)
        #expect(handoff?.0 == "b")
        if case .existing(let given)? = handoff?.1 { #expect(given === connection) } else { Issue.record("no lease") }
        #expect(state.waiters.map(\.waiter) == ["c"])
        #expect(state.idle.isEmpty)
        let r8 = state.release(connection)
        #expect(r8?.0 == "c")
        let r9 = state.release(connection)
        #expect(r9 == nil)
        #expect(state.idle.count == 1)
        #expect(state.open == 1)
        // the idle connection is leased again, not a new one opened
        let r10 = state.acquire(now: now, waiterID: 4, waiter: "d")
        #expect(existing(r10) === connection)
        #expect(state.idle.isEmpty)
    }

    @Test func discardFreesTheSlotOrPassesItToAWaiter() {
        var state = State(capacity: 1)
        let r11 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r11))
        let r12 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isWait(r12))
        let handoff = state.discard()
        #expect(handoff?.0 == "b")
        if case .openNew? = handoff?.1 {} else { Issue.record("the waiter should open a new connection") }
        #expect(state.open == 1)
        let r13 = state.discard()
        #expect(r13 == nil)
        #expect(state.open == 0)
        let r14 = state.acquire(now: now, waiterID: 3, waiter: "c")
        #expect(isOpenNew(r14))
    }

    @Test func drainIdleDropsEveryIdleConnection() {
        var state = State(capacity: 3)
        for id in 1...3 {
            let r15 = state.acquire(now: now, waiterID: id, waiter: "\(id)")
            #expect(isOpenNew(r15))
        }
        let r16 = state.release(FakeConnection(1))
        #expect(r16 == nil)
        let r17 = state.release(FakeConnection(2))
        #expect(r17 == nil)
        let drained = state.drainIdle()
        #expect(drained.map(\.id) == [1, 2])
        #expect(state.idle.isEmpty)
        #expect(state.open == 1)
    }

    @Test func openFailedFailsWaitersAndEntersBackoff() {
        var state = State(capacity: 1)
        let r18 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r18))
        let r19 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isWait(r19))
        let r20 = state.acquire(now: now, waiterID: 3, waiter: "c")
        #expect(isWait(r20))
        let failed = state.openFailed(now: now, backoff: backoff)
        #expect(failed == ["b", "c"])
        #expect(state.waiters.isEmpty)
        #expect(state.open == 0)
        #expect(state.isDown)
        #expect(state.downUntil == now + backoff)
        // inside the backoff window: fail fast without taking a slot
        let r21 = state.acquire(now: now, waiterID: 4, waiter: "d")
        #expect(isFailFast(r21))
        let r22 = state.acquire(now: now + backoff - .milliseconds(1), waiterID: 5, waiter: "e")
        #expect(isFailFast(r22))
        #expect(state.open == 0)
        #expect(state.waiters.isEmpty)
        // once it has passed, one caller may try again (the pool is still considered down until it succeeds)
        let r23 = state.acquire(now: now + backoff, waiterID: 6, waiter: "f")
        #expect(isOpenNew(r23))
        #expect(state.isDown)
        state.connectSucceeded()
        #expect(!state.isDown)
        #expect(state.failures == 0)
        let r24 = state.acquire(now: now, waiterID: 7, waiter: "g")
        #expect(isWait(r24))
    }

    @Test func backoffDoublesOnceAtMost() {
        var state = State(capacity: 1)
        var windows: [Duration] = []
        for _ in 1...6 {
            let r25 = state.reserveSlot()
            #expect(r25)
            _ = state.openFailed(now: now, backoff: backoff)
            windows.append(state.downUntil.map { $0 - now } ?? .zero)
        }
        #expect(windows == [100, 200, 200, 200, 200, 200].map { Duration.milliseconds($0) })
        #expect(state.failures == 6)
        state.connectSucceeded()
        let r26 = state.reserveSlot()
        #expect(r26)
        _ = state.openFailed(now: now, backoff: backoff)
        #expect(state.downUntil == now + backoff)
    }

    @Test func reserveSlotRespectsCapacityAndShutdown() {
        var state = State(capacity: 2)
        let r27 = state.reserveSlot()
        #expect(r27)
        let r28 = state.reserveSlot()
        #expect(r28)
        let r29 = state.reserveSlot()
        #expect(!r29)
        let r30 = state.discard()
        #expect(r30 == nil)
        let r31 = state.reserveSlot()
        #expect(r31)
        _ = state.shutdown()
        let r32 = state.discard()
        #expect(r32 == nil)
        let r33 = state.reserveSlot()
        #expect(!r33)
    }

    @Test func removeWaiterOnCancellation() {
        var state = State(capacity: 1)
        let r34 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r34))
        let r35 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isWait(r35))
        let r36 = state.acquire(now: now, waiterID: 3, waiter: "c")
        #expect(isWait(r36))
        let r37 = state.removeWaiter(id: 2)
        #expect(r37 == "b")
        let r38 = state.removeWaiter(id: 2)
        #expect(r38 == nil)
        #expect(state.waiters.map(\.id) == [3])
    }

    @Test func shutdownReturnsIdleAndWaitersAndRefusesCalls() {
        var state = State(capacity: 2)
        let r39 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r39))
        let r40 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isOpenNew(r40))
        let r41 = state.release(FakeConnection(1))
        #expect(r41 == nil)
        let r42 = state.acquire(now: now, waiterID: 3, waiter: "c")
        #expect(existing(r42)?.id == 1)
        let r43 = state.acquire(now: now, waiterID: 4, waiter: "d")
        #expect(isWait(r43))
        let r44 = state.release(FakeConnection(1))
        #expect(r44?.0 == "d")
        let r45 = state.release(FakeConnection(2))
        #expect(r45 == nil)
        let r46 = state.acquire(now: now, waiterID: 5, waiter: "e")
        #expect(isWait(r46) == false)  // idle connection available
        let r47 = state.acquire(now: now, waiterID: 6, waiter: "f")
        #expect(isWait(r47))
        let result = state.shutdown()
        #expect(result.idle.isEmpty)
        #expect(result.waiters == ["f"])
        #expect(state.isShutdown)
        let r48 = state.acquire(now: now, waiterID: 7, waiter: "g")
        #expect(isFailFast(r48))
        #expect(state.waiters.isEmpty)
    }

    @Test func shutdownClosesIdleConnections() {
        var state = State(capacity: 2)
        let r49 = state.acquire(now: now, waiterID: 1, waiter: "a")
        #expect(isOpenNew(r49))
        let r50 = state.acquire(now: now, waiterID: 2, waiter: "b")
        #expect(isOpenNew(r50))
        let r51 = state.release(FakeConnection(1))
        #expect(r51 == nil)
        let result = state.shutdown()
        #expect(result.idle.map(\.id) == [1])
        #expect(result.waiters.isEmpty)
        #expect(state.open == 1)  // the leased one closes when it comes back
        let r52 = state.discard()
        #expect(r52 == nil)
        #expect(state.open == 0)
    }
}
