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

    init(configuration: LDAPConfiguration, setting: LDAPConfiguration.ReadBarrier, logger: Logger) {
        base = setting.base
        timeout = setting.timeout
        self.logger = logger
        providers = configuration.uris.map { uri in
            var single = configuration
            single.uris = [uri]
            single.poolSize = 2
            single.readBarrier = nil
            single.metrics = .disabled  // the main pool's gauges are the pool's, not these
            return LDAPPool(configuration: single, logger: logger)
        }
    }

    /// The newest replication state among the providers that answer now.
    func target() async -> ContextCSN {
        await withTaskGroup(of: ContextCSN.self) { group in
            for provider in providers {
                group.addTask { [base] in
                    (try? await provider.withConnection { try await Self.state(on: $0, base: base) }) ?? .empty
                }
            }
            var merged = floor.withLock { $0 }
            for await state in group { merged = merged.merged(with: state) }
            return merged
        }
    }

    /// Waits until the provider behind `connection` holds `target`, at most the barrier's timeout.
    func wait(on connection: LDAPConnection, for target: ContextCSN) async throws {
        guard !target.bySID.isEmpty else { return }
        let deadline = ContinuousClock.now + timeout
        while true {
            let state = try await Self.state(on: connection, base: base)
            if state.covers(target) { return }
            guard ContinuousClock.now < deadline else {
                logger.warning("replication barrier: the provider did not catch up in time; reading anyway",
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
        let result = try await connection.search(base: base, scope: .base, filter: .present("objectClass"),
                                                 attributes: ["contextCSN"])
        return ContextCSN(values: result.entries.first?.strings("contextCSN") ?? [])
    }
}
