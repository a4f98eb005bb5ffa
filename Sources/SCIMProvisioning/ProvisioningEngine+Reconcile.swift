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
    }

    /// `progress(done, total)` is called as resources are handled. With `dryRun` nothing is sent or recorded and
    /// the report lists what would be done.
    public func reconcile(dryRun: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> ReconcileReport {
        let started = ContinuousClock.now
        var report = ReconcileReport()
        var work: [(type: ProvisionedType, id: String, hint: RemoteHint, version: String)] = []
        var orphans: [(type: ProvisionedType, id: String)] = []
        let records = Dictionary(try await state.records().map { ($0.localID, $0) }, uniquingKeysWith: { a, _ in a })
        for type in types {
            let locals = try await store.identities(of: type.name, matching: type.selection)
            let remotes = try await client.list(type.endpoint)
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
                    work.append((type, local.id, .present(remote), local.version))
                } else if let remote = byExternalID[local.id] {
                    work.append((type, local.id, .present(remote), local.version))
                } else {
                    // Never pushed, or gone on the target: adopted from the listing or created.
                    work.append((type, local.id, .absent(index), local.version))
                }
            }
            for record in records.values where record.resourceType.caseInsensitiveEquals(type.name) && !selected.contains(record.localID) {
                orphans.append((type, record.localID))
            }
        }
        let total = work.count + orphans.count
        var done = 0
        // Members translate only once their users are pushed: types run in order (users first); within a type,
        // `concurrency` at a time.
        for type in types {
            let batch = work.filter { $0.type.name == type.name }
            try await withThrowingTaskGroup(of: (String, Action).self) { group in
                var iterator = batch.makeIterator()
                var running = 0
                func addNext() -> Bool {
                    guard let item = iterator.next() else { return false }
                    let known = (record: records[item.id], version: item.version)
                    group.addTask {
                        (item.id, await self.sync(localID: item.id, typeName: item.type.name, force: true, hint: item.hint, dryRun: dryRun,
                                                  known: known))
                    }
                    return true
                }
                while running < settings.concurrency, addNext() { running += 1 }
                while let (id, action) = try await group.next() {
                    done += 1
                    progress?(done, total)
                    report.counts[Self.label(action), default: 0] += 1
                    if dryRun, action != .unchanged { report.planned.append((type.name, id, action)) }
                    if !addNext() { running -= 1 }
                }
            }
        }
        for orphan in orphans {
            let action = await sync(localID: orphan.id, typeName: orphan.type.name, force: true, dryRun: dryRun)
            done += 1
            progress?(done, total)
            report.counts[Self.label(action), default: 0] += 1
            if dryRun { report.planned.append((orphan.type.name, orphan.id, action)) }
        }
        let elapsed = ContinuousClock.now - started
        report.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return report
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
