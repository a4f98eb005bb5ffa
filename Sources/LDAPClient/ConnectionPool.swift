import Logging
import Synchronization

/// A fixed-size pool of connections with fail-fast behaviour while the directory is down.
///
/// A connection carries one operation at a time: the caller writes the request, `LDAPReactor` collects the reply
/// (only connect, bind and a few extended operations wait inside libldap, on the connection's own dispatch queue).
/// When a connection fails, idle connections are
/// dropped too (they share the dead server); reads are retried (at most twice) on another connection. When a new
/// connection cannot be opened the pool enters a down state with exponential backoff, in which calls fail at once with
/// `LDAPError` code `serverDown`; `run()` keeps probing in the background and leaves that state as soon as the
/// directory answers again. Callers hold it through `LDAPPool`, which adds the identity operations run as.
final class ConnectionPool: Sendable {
    let configuration: LDAPConfiguration
    private let logger: Logger
    private let state: Mutex<LDAPPoolState<LDAPConnection, CheckedContinuation<Lease, any Error>>>
    private let nextWaiterID = Atomic<Int>(0)
    /// With several replicated providers: makes every lease see all writes acknowledged before it.
    private let barrier: ReplicaBarrier?

    typealias Lease = PoolLease<LDAPConnection>

    init(configuration: LDAPConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(LDAPPoolState(capacity: configuration.poolSize))
        if let setting = configuration.readBarrier, configuration.uris.count > 1 {
            barrier = ReplicaBarrier(configuration: configuration, setting: setting, logger: logger)
        } else {
            barrier = nil
        }
    }

    /// Publishes the pool's occupancy to `configuration.metrics`; called after every change of the state. Read and
    /// recorded under the lock (gauge updates are atomic stores), so two publishers cannot leave a stale value.
    private func publish() {
        let metrics = configuration.metrics
        state.withLock { state in
            metrics.recordPool(
                inUse: state.open - state.idle.count, idle: state.idle.count, waiting: state.waiters.count,
                up: !state.isDown)
        }
    }

    /// True while the pool treats the directory as unreachable.
    var isDown: Bool { state.withLock { $0.isDown } }

    /// Lends a connection for several operations that must share it (transactions, sort/VLV contexts).
    /// The connection returns to the pool afterwards, or is dropped if it broke.
    /// With a read barrier (several replicated providers), the connection's provider first catches up with the
    /// newest state of every reachable provider.
    /// Every operation `body` sends on the lent connection carries Proxied Authorization for `authorizationID`
    /// (nil: the bound identity); the barrier's own reads around it run as the bound identity.
    func withConnection<T>(as authorizationID: String?, _ body: (LDAPConnection) async throws -> T) async throws -> T {
        let target = await barrier?.target()
        let connection = try await acquire()
        do {
            if let barrier, let target { try await barrier.wait(on: connection, for: target) }
            connection.lend(to: authorizationID)
            let writes = connection.writesSent
            let value = try await body(connection)
            connection.lend(to: nil)
            if let barrier, connection.writesSent != writes { await barrier.noteWrite(on: connection) }
            giveBack(connection)
            return value
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Runs a read; if the connection turns out to be dead, retries on another one, at most twice: after a server
    /// died, a second pooled connection to it (leased by another caller when the first failure dropped the idle
    /// ones) can fail the same way, and each failed attempt costs only the round trip to a closed socket.
    func read<T>(as authorizationID: String?, _ body: (LDAPConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection(as: authorizationID, body)
            } catch let error as LDAPError where error.code.isConnectionFailure && !isDown && attempt < 3 {
                attempt += 1
                logger.debug("retrying a read after a connection failure", metadata: ["ldap.error": "\(error.logDescription)"])
            }
        }
    }

    /// Background maintenance: while the directory is down, tries to reconnect after each backoff interval.
    /// Returns when the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.reconnectBackoff)
            let due = state.withLock { state -> Bool in
                guard let until = state.downUntil else { return false }
                return ContinuousClock.now >= until
            }
            if due { await probe() }
        }
    }

    /// One reconnection attempt outside any request.
    func probe() async {
        guard state.withLock({ $0.reserveSlot() }) else { return }
        defer { publish() }
        do {
            let connection = try await LDAPConnection.connect(configuration)
            state.withLock { $0.connectSucceeded() }
            logger.info("directory reachable again")
            giveBack(connection)
        } catch {
            let waiters = state.withLock { $0.openFailed(now: ContinuousClock.now, backoff: configuration.reconnectBackoff) }
            for waiter in waiters { waiter.resume(throwing: LDAPError.directoryUnavailable("directory unreachable")) }
        }
    }

    /// Closes idle connections and fails waiting callers; leased connections close when returned.
    func shutdown() {
        barrier?.shutdown()
        let (_, waiters) = state.withLock { $0.shutdown() }
        publish()
        for waiter in waiters { waiter.resume(throwing: LDAPError.directoryUnavailable("pool shut down")) }
    }

    // MARK: Leasing

    /// A caller waits for a connection at most the operation timeout, then fails with `busy` (503 to SCIM
    /// clients) instead of waiting for good if connections are never given back.
    private func acquire() async throws -> LDAPConnection {
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        defer { publish() }
        let lease: Lease = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let action = state.withLock { $0.acquire(now: ContinuousClock.now, waiterID: id, waiter: continuation) }
                switch action {
                case .lease(let lease): continuation.resume(returning: lease)
                case .wait:
                    publish()  // a waiting caller shows before it is served
                    let limit = configuration.operationTimeout
                    timer = Task { [self] in
                        guard (try? await Task.sleep(for: limit)) != nil,
                            let waiter = state.withLock({ $0.removeWaiter(id: id) })
                        else { return }
                        publish()
                        waiter.resume(throwing: LDAPError(code: .busy, diagnosticMessage: "no pooled connection became free within \(limit)"))
                    }
                case .failFast:
                    continuation.resume(throwing: LDAPError.directoryUnavailable("directory unreachable; retrying"))
                }
            }
        } onCancel: {
            if let waiter = state.withLock({ $0.removeWaiter(id: id) }) { waiter.resume(throwing: CancellationError()) }
        }
        switch lease {
        case .existing(let connection): return connection
        case .openNew: return try await openConnection()
        }
    }

    private func openConnection() async throws -> LDAPConnection {
        defer { publish() }
        do {
            let connection = try await LDAPConnection.connect(configuration)
            state.withLock { $0.connectSucceeded() }
            return connection
        } catch {
            let waiters = state.withLock { $0.openFailed(now: ContinuousClock.now, backoff: configuration.reconnectBackoff) }
            logger.warning("cannot connect to the directory", metadata: ["ldap.error": "\(error.logDescription)"])
            for waiter in waiters { waiter.resume(throwing: LDAPError.directoryUnavailable("directory unreachable")) }
            if error.code == .invalidCredentials || error.code == .inappropriateAuthentication {
                throw error
            }
            throw LDAPError.directoryUnavailable(error.logDescription)
        }
    }

    private func giveBack(_ connection: LDAPConnection) {
        defer { publish() }
        connection.lend(to: nil)
        if connection.isBroken {
            // Idle siblings most likely share the dead server: drop them too.
            let (handoff, _) = state.withLock { state in (state.discard(), state.drainIdle()) }
            handoff.map { $0.0.resume(returning: $0.1) }
            return
        }
        if connection.isRetired {
            state.withLock { $0.discard() }.map { $0.0.resume(returning: $0.1) }
            return
        }
        let shutdown = state.withLock { $0.isShutdown }
        if shutdown {
            state.withLock { _ = $0.discard() }
            return
        }
        if let (waiter, lease) = state.withLock({ $0.release(connection) }) { waiter.resume(returning: lease) }
    }
}
