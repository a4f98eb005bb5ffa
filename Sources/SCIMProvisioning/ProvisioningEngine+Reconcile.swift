import Foundation
import SCIMCore
import SCIMLDAP

/// A full reconciliation: every selected resource compared with the target's listing, whatever the feed said.
/// It is the initial sync, the repair of drift (a resource edited or deleted on the target by hand, a target
/// that lost everything) and the catch-up after the change queue overflowed.
extension ProvisioningEngine {
    public struct ReconcileReport: Sendable {
        public var planned: [(type: String, localID: String, action: Action)] = []
        public var counts: [String: Int] = [:]
        public var seconds: Double = 0
        /// `/Bulk` requests that carried creates.
        public var bulkRequests = 0
    }

    /// `progress(done, total)` is called as resources are handled. With `dryRun` nothing is sent or recorded and
    /// the report lists what would be done.
    public func reconcile(dryRun: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> ReconcileReport {
        let started = ContinuousClock.now
        var report = ReconcileReport()
        var work: [WorkItem] = []
        var orphans: [(type: ProvisionedType, id: String)] = []
        let records = Dictionary(try await state.records().map { ($0.localID, $0) }, uniquingKeysWith: { a, _ in a })
        for type in types {
            let locals = try await store.identities(of: type.name, matching: type.selection)
            let remotes = try await client.list(type.endpoint)
            // The target answered: a circuit opened during an outage is closed, or every resource below would be
            // skipped as "circuit open" and the reconciliation would pass for done.
            _ = await circuit.succeeded()
            var byID: [String: JSONValue] = [:]
            var byExternalID: [String: JSONValue] = [:]
            for remote in remotes {
                if let id = remote["id"]?.stringValue { byID[id] = remote }
                if let external = remote["externalId"]?.stringValue { byExternalID[external] = remote }
            }
            let index = RemoteIndex(remotes)
            let selected = Set(locals.map(\.id))
            for local in locals {
                let record = records[local.id]
                if let remoteID = record?.remoteID, let remote = byID[remoteID] {
                    remember(local.id, remoteID)
                    work.append(WorkItem(type: type, id: local.id, hint: .present(remote)))
                } else if let remote = byExternalID[local.id] {
                    work.append(WorkItem(type: type, id: local.id, hint: .present(remote)))
                } else {
                    // Never pushed, or gone on the target: adopted from the listing or created.
                    work.append(WorkItem(type: type, id: local.id, hint: .absent(index)))
                }
            }
            for record in records.values where record.resourceType.caseInsensitiveEquals(type.name) && !selected.contains(record.localID) {
                orphans.append((type, record.localID))
            }
        }
        let total = work.count + orphans.count
        var done = 0
        // Creates go to the target's /Bulk endpoint in batches when it has one; enough pushes run at once to fill
        // a batch while the previous one is answered.
        let bulk = dryRun ? nil : await bulkBatcher()
        let workers = bulk.map { Self.workers(for: settings, batch: $0.batchSize) } ?? Self.workers(for: settings)
        // Members translate only once their users are pushed: types run in order (users first); within a type,
        // `workers` pushes at a time.
        for type in types {
            // Rendered a batch at a time (one search per 100 resources), one batch ahead of the workers: the next
            // batch is read while this one is pushed, so the workers never wait for the directory (waiting drained
            // the target's queue once per batch). At most two batches are held.
            var chunks: ArraySlice<ArraySlice<WorkItem>> = Self.chunked(work.filter { $0.type.name == type.name }, by: Self.renderBatch)[...]
            func renderNext() -> Task<[(WorkItem, Known?)], any Error>? {
                guard let chunk = chunks.popFirst() else { return nil }
                return Task { try await self.render(chunk, type: type, records: records) }
            }
            var upcoming = renderNext()
            defer { upcoming?.cancel() }
            var ready: [(WorkItem, Known?)] = []
            var readyIndex = 0
            func nextItem() async throws -> (WorkItem, Known?)? {
                if readyIndex == ready.count {
                    guard let rendering = upcoming else { return nil }
                    ready = try await rendering.value
                    readyIndex = 0
                    upcoming = renderNext()
                    guard !ready.isEmpty else { return nil }
                }
                defer { readyIndex += 1 }
                return ready[readyIndex]
            }
            try await withThrowingTaskGroup(of: (String, Action).self) { group in
                var running = 0
                func addNext() async throws -> Bool {
                    guard let next = try await nextItem() else { return false }
                    let item = next.0
                    let known = next.1
                    group.addTask {
                        (
                            item.id,
                            await self.sync(
                                localID: item.id, typeName: item.type.name, force: true, hint: item.hint, dryRun: dryRun,
                                known: known, bulk: bulk)
                        )
                    }
                    return true
                }
                while running < workers {
                    guard try await addNext() else { break }
                    running += 1
                }
                while let (id, action) = try await group.next() {
                    done += 1
                    progress?(done, total)
                    report.counts[Self.label(action), default: 0] += 1
                    if dryRun, action != .unchanged { report.planned.append((type.name, id, action)) }
                    let more = try await addNext()
                    if !more { running -= 1 }
                }
            }
        }
        report.bulkRequests = await bulk?.requests ?? 0
        for orphan in orphans {
            let action = await sync(localID: orphan.id, typeName: orphan.type.name, force: true, dryRun: dryRun)
            done += 1
            progress?(done, total)
            report.counts[Self.label(action), default: 0] += 1
            if dryRun { report.planned.append((orphan.type.name, orphan.id, action)) }
        }
        // The target went away again midway: the resources skipped meanwhile are pending; the reconciliation
        // counts as failed so that it is tried again (and no cookie is recorded on its account).
        if !dryRun, await circuit.state == "open" {
            throw TargetError(status: nil, detail: "the target stopped answering during the reconciliation")
        }
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
    }

    /// Resources rendered per directory search during a reconciliation.
    static let renderBatch = 100

    /// Pushes in progress at once. Twice the target's `concurrency`: a push spends part of its time in the
    /// directory (its state record), and the HTTP client holds the requests in flight to `concurrency` anyway
    /// (its connection limit), so the target always has the next request waiting, as from a load tool.
    static func workers(for settings: TargetSettings) -> Int { settings.concurrency * 2 }

    /// With Bulk: enough pushes to fill two batches for each request the target may have in flight (at most 4
    /// such requests), 800 at most.
    static func workers(for settings: TargetSettings, batch: Int) -> Int { min(800, max(2, batch * 2 * min(settings.concurrency, 4))) }

    static func chunked(_ items: [WorkItem], by size: Int) -> [ArraySlice<WorkItem>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }

    struct WorkItem: Sendable {
        var type: ProvisionedType
        var id: String
        var hint: RemoteHint
    }

    /// The items rendered in one directory search. One no longer there (deleted, or out of the selection since
    /// the listing) gets no snapshot: `sync` looks it up again and removes it on the target.
    private func render(_ chunk: ArraySlice<WorkItem>, type: ProvisionedType, records: [String: ProvisioningRecord])
        async throws -> [(WorkItem, Known?)]
    {
        let rendered: [StoredResource] = try await store.render(
            ids: chunk.map { $0.id }, type: type.resolved, matching: type.selection,
            projection: Self.rendering, batch: Self.renderBatch)
        var byID: [String: StoredResource] = [:]
        for resource in rendered {
            if let id = resource.resource["id"]?.stringValue { byID[id] = resource }
        }
        var out: [(WorkItem, Known?)] = []
        for item in chunk {
            var known: Known?
            if let resource = byID[item.id] { known = Known(record: records[item.id], version: resource.version, resource: resource) }
            out.append((item, known))
        }
        return out
    }

    static func label(_ action: Action) -> String {
        switch action {
        case .unchanged: "unchanged"
        case .create: "created"
        case .adopt: "adopted"
        case .update: "updated"
        case .remove: "removed"
        case .skip: "skipped"
        }
    }
}
