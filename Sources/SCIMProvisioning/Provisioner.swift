import CoreMetrics
import Foundation
import LDAPClient
import Logging
import SCIMCore
import SCIMLDAP

/// Runs one target for as long as the gateway runs: waits for the target's lease (one active provisioner per
/// target among all gateway instances), then follows the directory's change feed from the recorded cookie,
/// pushes each change with `concurrency` workers, retries what is pending when its backoff is over, and
/// reconciles in full at start, after a refresh without cookie, after a queue overflow and every
/// `reconcileInterval`. Losing the lease stops all of it until the lease is won again.
public struct Provisioner: Sendable {
    public let engine: ProvisioningEngine
    /// This instance's name in the lease (host and process).
    public let holder: String
    public let leaseDuration: Duration
    /// The subtree the feed follows (the directory's suffix, or the common base of the resource types).
    public let feedBase: String
    let logger: Logger
    /// False only to play a crashed instance in tests: it stops without giving its lease up.
    public var releasesLease = true

    public init(
        engine: ProvisioningEngine, holder: String, leaseDuration: Duration = .seconds(15), feedBase: String,
        logger: Logger
    ) {
        self.engine = engine
        self.holder = holder
        self.leaseDuration = leaseDuration
        self.feedBase = feedBase
        self.logger = logger
    }

    public static func defaultHolder() -> String {
        "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
    }

    var name: String { engine.settings.name }

    /// Until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await engine.state.prepare()
                break
            } catch {
                logger.warning("provisioning: cannot create the state entries; retrying", metadata: ["target": "\(name)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
        let renewEvery = leaseDuration / 3
        while !Task.isCancelled {
            let acquired = (try? await engine.state.acquireLease(holder: holder, duration: leaseDuration)) ?? false
            guard acquired else {
                try? await Task.sleep(for: renewEvery)
                continue
            }
            logger.info("provisioning: this instance now provisions the target", metadata: ["target": "\(name)", "holder": "\(holder)"])
            engine.metrics.leader.record(1)
            defer { engine.metrics.leader.record(0) }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.lead() }
                group.addTask {
                    // Renew; when the lease is lost (another instance took an expired lease), stop leading.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: renewEvery)
                        guard !Task.isCancelled else { return }
                        let renewed: Bool
                        do { renewed = try await self.engine.state.acquireLease(holder: self.holder, duration: self.leaseDuration) } catch {
                            // The directory is away: keep leading until the lease would have expired.
                            continue
                        }
                        if !renewed {
                            self.logger.warning("provisioning: lease lost", metadata: ["target": "\(self.name)"])
                            return
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        if releasesLease { try? await engine.state.releaseLease(holder: holder) }
    }

    /// The work of the lease holder, until cancelled (the lease was lost, or the gateway stops).
    private func lead() async {
        let queue = ChangeQueue()
        // At most one request waits while a reconciliation runs: asking again meanwhile adds nothing.
        let reconcileRequests = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.follow(queue: queue, reconcile: reconcileRequests.continuation) }
                for _ in 0..<ProvisioningEngine.workers(for: engine.settings) {
                    group.addTask {
                        while let item = await queue.next() {
                            let action = await self.engine.sync(localID: item.localID, typeName: item.typeName, force: item.force)
                            if let received = item.received, action.reachedTarget { self.engine.metrics.recordLag(since: received) }
                            await queue.done(item)
                        }
                    }
                }
                group.addTask { await self.checkpoints(queue: queue) }
                group.addTask { await self.retries(queue: queue, reconcile: reconcileRequests.continuation) }
                group.addTask {
                    for await _ in reconcileRequests.stream {
                        // A failed reconciliation (the target away) is tried again, 2 s doubling to 10 s (as the
                        // circuit: a target that returns is caught up within seconds; a listing that fails costs
                        // it one request); no cookie is recorded meanwhile, so nothing it would have found is lost
                        // to a restart.
                        var delay = Duration.seconds(2)
                        while !Task.isCancelled {
                            if await self.reconcileNow() {
                                await queue.clearOverflow()
                                break
                            }
                            try? await Task.sleep(for: delay)
                            delay = min(delay * 2, .seconds(10))
                        }
                    }
                }
                if let interval = engine.settings.reconcileInterval {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: interval)
                            reconcileRequests.continuation.yield()
                        }
                    }
                }
                group.addTask {
                    // Overflow: the dropped changes are found by a reconciliation.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        if await queue.overflowed { reconcileRequests.continuation.yield() }
                    }
                }
                await group.waitForAll()
            }
        } onCancel: {
            reconcileRequests.continuation.finish()
            Task { await queue.close() }
        }
    }

    @discardableResult
    private func reconcileNow() async -> Bool {
        do {
            let report = try await engine.reconcile()
            logger.info(
                "provisioning: reconciliation done",
                metadata: [
                    "target": "\(name)", "seconds": "\(String(format: "%.1f", report.seconds))",
                    "counts": "\(report.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))",
                ])
            return true
        } catch {
            logger.warning("provisioning: reconciliation failed; trying again", metadata: ["target": "\(name)", "error": "\(error)"])
            return false
        }
    }

    /// The change feed from the recorded cookie (none: a full refresh, then a reconciliation).
    private func follow(queue: ChangeQueue, reconcile: AsyncStream<Void>.Continuation) async {
        let saved = try? await engine.state.targetState().cookie
        let filters = engine.types.compactMap { type -> LDAPFilter? in
            engine.store.mapping.resourceTypes[type.name].map { mapped in
                mapped.selection.count == 1 ? mapped.selection[0] : .and(mapped.selection)
            }
        }
        let filter: LDAPFilter = filters.count == 1 ? filters[0] : .or(filters)
        let feed = LDAPChangeFeed(
            configuration: engine.store.pool.configuration, base: feedBase, filter: filter,
            attributes: ["objectClass"], cookie: saved, retryDelay: .seconds(1), logger: logger)
        var present = Set<String>()
        var presentPhase = false
        var fullRefresh = saved == nil
        if fullRefresh { await queue.requireReconciliation() }
        do {
            for try await element in feed {
                switch element {
                case .restarted(let full):
                    fullRefresh = full
                    if full { await queue.requireReconciliation() }
                    present.removeAll()
                    presentPhase = false
                case .event(.entry(let state, let uuid, let entry, let cookie)):
                    switch state {
                    case .add, .modify:
                        // A refresh without cookie sends every entry: the reconciliation that follows it compares
                        // them all with the target at once, so they are not queued one by one.
                        if !fullRefresh {
                            await queue.push(.init(localID: uuid, typeName: classify(entry), force: false, received: .now))
                        }
                    case .delete:
                        await queue.push(.init(localID: uuid, typeName: nil, force: true, received: .now))
                    case .present:
                        presentPhase = true
                        present.insert(uuid)
                    }
                    if let cookie { await queue.received(cookie: cookie) }
                case .event(.idSet(let uuids, let deleted, let cookie)):
                    if deleted {
                        for uuid in uuids { await queue.push(.init(localID: uuid, typeName: nil, force: true)) }
                    } else {
                        presentPhase = true
                        present.formUnion(uuids)
                    }
                    if let cookie { await queue.received(cookie: cookie) }
                case .event(.refreshDone(let cookie, let deletes)):
                    if fullRefresh {
                        // Every entry came as an add: the reconciliation compares them with the target instead.
                        reconcile.yield()
                        fullRefresh = false
                    } else if !deletes && presentPhase {
                        // Present phase: what we pushed and the directory no longer lists was deleted meanwhile.
                        for record in (try? await engine.state.records()) ?? [] where !present.contains(record.localID) {
                            await queue.push(.init(localID: record.localID, typeName: record.resourceType, force: true))
                        }
                    }
                    present.removeAll()
                    presentPhase = false
                    if let cookie { await queue.received(cookie: cookie) }
                case .event(.cookie(let cookie)):
                    await queue.received(cookie: cookie)
                case .event(.done(let cookie, _)):
                    if let cookie { await queue.received(cookie: cookie) }
                }
            }
        } catch {
            logger.warning("provisioning: the change feed stopped", metadata: ["target": "\(name)", "error": "\(error)"])
        }
    }

    /// The provisioned type of a changed entry, from where it is and its object classes; nil when unsure (the
    /// state record or a lookup decides).
    func classify(_ entry: LDAPEntry) -> String? {
        let dn = try? DistinguishedName(entry.dn)
        let classes = Set(entry.strings("objectClass").map { $0.lowercased() })
        let candidates = engine.types.filter { type in
            guard let mapped = engine.store.mapping.resourceTypes[type.name] else { return false }
            guard let base = try? DistinguishedName(mapped.baseDN), let dn, dn.isDescendant(of: base) else { return false }
            if let required = mapped.selectionClasses { return required.allSatisfy { classes.contains($0.lowercased()) } }
            return true
        }
        return candidates.count == 1 ? candidates[0].name : candidates.first?.name
    }

    /// Records the newest safe cookie every second: a restart or another instance resumes from it.
    private func checkpoints(queue: ChangeQueue) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard let cookie = await queue.checkpoint() else { continue }
            if let saved = try? await engine.state.saveCookie(cookie, holder: holder), !saved {
                logger.warning("provisioning: the lease moved to another instance; not recording the cookie", metadata: ["target": "\(name)"])
            }
        }
    }

    /// Pending resources whose backoff is over go back into the queue; the pending and failed gauges follow.
    /// Many at once (after an outage, or a restart during one) are caught up by one reconciliation instead: it
    /// matches them all against one listing of the target, where each retried alone would first search the target
    /// for its counterpart (by externalId, userName and e-mail: a lost answer may have created it).
    private func retries(queue: ChangeQueue, reconcile: AsyncStream<Void>.Continuation) async {
        var rounds = 0
        var reconciliationAsked: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            guard let pending = try? await engine.state.records(status: .pending) else { continue }
            engine.metrics.pending.record(pending.count + (await queue.count))
            if rounds % 15 == 0, let failed = try? await engine.state.records(status: .failed) { engine.metrics.failed.record(failed.count) }
            rounds += 1
            // The target answers again after an outage: everything waiting goes now, not at its backoff time.
            let now = engine.takeRecovered() ? Date.distantFuture : Date()
            let due = pending.filter { ($0.nextAttempt ?? .distantPast) <= now }
            if due.count > Self.reconcileAbove {
                // Asked once a minute at most: the reconciliation retries itself while the target is away.
                if reconciliationAsked.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
                    logger.info(
                        "provisioning: many resources waiting; catching up with a reconciliation",
                        metadata: ["target": "\(name)", "waiting": "\(due.count)"])
                    reconcile.yield()
                    reconciliationAsked = .now
                }
                continue
            }
            for record in due {
                await queue.push(.init(localID: record.localID, typeName: record.resourceType, force: true))
            }
        }
    }

    /// Waiting resources beyond which the retry loop reconciles instead of retrying each.
    static let reconcileAbove = 100
}
