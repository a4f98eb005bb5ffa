import Logging
import Synchronization

/// Read-your-writes over replicated providers (multi-provider syncrepl), for a pool configured with several URIs.
///
/// Before a pooled connection is used, the barrier reads the suffix's `contextCSN` from every provider it can
/// reach (a small pool of its own per URI; one that is down fails fast and is left out), merges them into the
/// newest state any provider holds, then waits until the provider behind the leased connection reports at least
/// that state. Every write acknowledged anywhere before the operation began is then visible to it, whichever
/// provider each gateway instance happens to use. The wait is bounded (`LDAPConfiguration.ReadBarrier.timeout`):
/// past it the operation goes ahead (replication broken or very late) and a warning is logged. After a lease that
/// wrote, the provider's state is kept as a floor of every later target (`noteWrite`).
final class ReplicaBarrier: Sendable {
    private let base: String
    private let timeout: Duration
    private let providers: [LDAPPool]
    private let logger: Logger
    /// The state of a provider right after this process wrote to it: kept in every target, so the process reads
    /// its own writes even while the barrier's pool for that provider is in its reconnection backoff (a provider
    /// that just came back, already used by the main pool).
    private let floor = Mutex(ContextCSN.empty)
    /// Per provider: questions about its state not answered yet.
    private let pending: Mutex<[Int]>
    static let maxPending = 64
    /// How long a read waits for the providers' answers.
    private let askLimit: Duration

    init(configuration: LDAPConfiguration, setting: LDAPConfiguration.ReadBarrier, logger: Logger) {
        base = setting.base
        timeout = setting.timeout
        askLimit = min(setting.timeout, .milliseconds(500))
        self.logger = logger
        pending = Mutex(Array(repeating: 0, count: configuration.uris.count))
        providers = configuration.uris.map { uri in
            var single = configuration
            single.uris = [uri]
            single.poolSize = 4
            single.readBarrier = nil
            single.metrics = .disabled  // the main pool's gauges are the pool's, not these
            return LDAPPool(configuration: single, logger: logger)
        }
    }

    /// The newest replication state among the providers that answer now, merged with the floor. A provider whose
    /// answer takes longer than `askLimit` is left out (frozen, or unreachable behind a silent network), and so is
    /// one with `maxPending` questions still unanswered: a read never waits on a provider longer than that, and the
    /// questions stuck on a frozen one are bounded.
    func target() async -> ContextCSN {
        var merged = floor.withLock { $0 }
        let (answers, continuation) = AsyncStream<ContextCSN>.makeStream()
        var asked = 0
        for (index, provider) in providers.enumerated() {
            let free = pending.withLock { pending -> Bool in
                guard pending[index] < Self.maxPending else { return false }
                pending[index] += 1
                return true
            }
            guard free else { continue }
            asked += 1
            Task { [self] in
                let state = (try? await provider.withConnection { try await Self.state(on: $0, base: base) }) ?? .empty
                pending.withLock { $0[index] -= 1 }
                continuation.yield(state)
            }
        }
        guard asked > 0 else { return merged }
        let timer = Task { [askLimit] in
            try? await Task.sleep(for: askLimit)
            continuation.finish()
        }
        var received = 0
        for await state in answers {
            merged = merged.merged(with: state)
            received += 1
            if received == asked { break }
        }
        timer.cancel()
        return merged
    }

    /// Waits until the provider behind `connection` holds `target`, at most the barrier's timeout.
    func wait(on connection: LDAPConnection, for target: ContextCSN) async throws {
        guard !target.bySID.isEmpty else { return }
        let deadline = ContinuousClock.now + timeout
        while true {
            let state = try await Self.state(on: connection, base: base)
            if state.covers(target) { return }
            guard ContinuousClock.now < deadline else {
                logger.warning(
                    "replication barrier: the provider did not catch up in time; reading anyway",
                    metadata: ["ldap.contextCSN": "\(state)", "ldap.target": "\(target)"])
                return
            }
            try await Task.sleep(for: .milliseconds(3))
        }
    }

    /// After a lease that wrote: the provider's state then becomes part of every later target. Best effort (a
    /// connection that broke is skipped).
    func noteWrite(on connection: LDAPConnection) async {
        guard !connection.isBroken, let state = try? await Self.state(on: connection, base: base) else { return }
        floor.withLock { $0 = $0.merged(with: state) }
    }

    func shutdown() {
        for provider in providers { provider.shutdown() }
    }

    static func state(on connection: LDAPConnection, base: String) async throws -> ContextCSN {
        let result = try await connection.search(
            base: base, scope: .base, filter: .present("objectClass"),
            attributes: ["contextCSN"])
        return ContextCSN(values: result.entries.first?.strings("contextCSN") ?? [])
    }
}
