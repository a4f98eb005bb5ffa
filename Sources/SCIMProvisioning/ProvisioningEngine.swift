import Foundation
import OrderedCollections
import LDAPClient
import Logging
import SCIMCore
import SCIMLDAP
import Synchronization

/// Pushes our resources to one target. `sync` is the one step everything else repeats (the change feed, the
/// retry loop, reconciliation): it makes the target hold the resource as our GET renders it, or removes it
/// there, and records the outcome in the directory. Replaying it leaves the target unchanged.
public final class ProvisioningEngine: Sendable {
    public let settings: TargetSettings
    let store: LDAPResourceStore
    public let state: ProvisioningStateStore
    let client: TargetClient
    /// Users before groups, so members translate.
    public let types: [ProvisionedType]
    let logger: Logger
    public let metrics: ProvisioningMetrics
    let circuit = Circuit()
    let locks = KeyedLock()
    /// Set when the target answers again after the circuit opened: everything pending is retried at once.
    private let recovered = Mutex(false)

    func takeRecovered() -> Bool {
        recovered.withLock { value in
            defer { value = false }
            return value
        }
    }
    /// What the target's ServiceProviderConfig says it supports, once read.
    let knownCapabilities = Mutex<TargetCapabilities?>(nil)
    /// local id → target id, for member translation (bounded; the directory has the rest).
    private let remoteIDs = Mutex<[String: String]>([:])

    /// What `sync` did (or, dry run, would do).
    public enum Action: Sendable, Equatable, CustomStringConvertible {
        case unchanged
        case create
        case adopt(remoteID: String)
        case update(operations: Int)
        case remove(TargetSettings.Removal)
        case skip(String)

        /// The target holds the change (or needed none).
        public var reachedTarget: Bool {
            if case .skip = self { return false }
            return true
        }

        public var description: String {
            switch self {
            case .unchanged: "unchanged"
            case .create: "create"
            case .adopt(let id): "adopt \(id)"
            case .update(let count): "update (\(count) change\(count == 1 ? "" : "s"))"
            case .remove(let mode): "remove (\(mode.rawValue))"
            case .skip(let why): "skip: \(why)"
            }
        }
    }

    /// What a reconciliation already read of the directory for one resource, so `sync` does not read it again: the
    /// state record (nil: none), the entry's version, and the resource rendered in a batch (nil: read it).
    public struct Known: Sendable {
        public var record: ProvisioningRecord?
        public var version: String
        public var resource: StoredResource?
    }

    /// What reconciliation already knows about the target's copy.
    public enum RemoteHint: Sendable {
        case unknown
        /// The target's listing has no resource of ours for it: adopt from the listing or create.
        case absent(RemoteIndex)
        case present(JSONValue)
    }

    public init(
        settings: TargetSettings, store: LDAPResourceStore, state: ProvisioningStateStore, client: TargetClient,
        types: [ProvisionedType], logger: Logger, metrics: ProvisioningMetrics = .disabled
    ) {
        self.metrics = metrics
        self.settings = settings
        self.store = store
        self.state = state
        self.client = client
        self.types = types.sorted { !$0.hasMembers && $1.hasMembers }
        self.logger = logger
    }

    func type(named name: String?) -> ProvisionedType? {
        guard let name else { return nil }
        return types.first { $0.name.caseInsensitiveEquals(name) }
    }

    // MARK: One resource

    /// Brings one resource up to date on the target and records the outcome. Never throws: failures are
    /// recorded (pending with a backoff when they may heal, failed when they will not). `known`: what a
    /// reconciliation already read, not read again per resource. `bulk`: a reconciliation's batcher, through which
    /// a create goes in a `/Bulk` request.
    @discardableResult
    public func sync(
        localID: String, typeName: String?, force: Bool = false, hint: RemoteHint = .unknown,
        dryRun: Bool = false, known: Known? = nil
    ) async -> Action {
        await sync(localID: localID, typeName: typeName, force: force, hint: hint, dryRun: dryRun, known: known, bulk: nil)
    }

    func sync(
        localID: String, typeName: String?, force: Bool, hint: RemoteHint, dryRun: Bool, known: Known?,
        bulk: BulkBatcher?
    ) async -> Action {
        await locks.acquire(localID)
        let action = await syncLocked(
            localID: localID, typeName: typeName, force: force, hint: hint, dryRun: dryRun, known: known,
            depth: 0, bulk: bulk)
        await locks.release(localID)
        if !dryRun { metrics.count(action) }
        return action
    }

    private func syncLocked(
        localID: String, typeName: String?, force: Bool, hint: RemoteHint, dryRun: Bool,
        known: Known?, depth: Int, bulk: BulkBatcher? = nil
    ) async -> Action {
        var record: ProvisioningRecord?
        var hint = hint
        var known = known
        do {
            if let snapshot = known, snapshot.record?.remoteID != nil || knownRemoteID(localID) == nil {
                record = snapshot.record
            } else {
                // No snapshot, or pushed meanwhile (by the feed, while a reconciliation waited for this lock):
                // what the reconciliation saw is stale; read the record again.
                record = try await state.record(localID)
                if known != nil {
                    hint = .unknown
                    known = nil
                }
            }
            let name = typeName ?? record?.resourceType
            guard let type = type(named: name) else { return .skip("not a provisioned type") }
            if !dryRun, await circuit.isOpen() {
                try await defer_(record: record, localID: localID, type: type, error: "the target is unreachable (circuit open)")
                return .skip("circuit open")
            }
            let action = try await push(
                localID: localID, type: type, record: record, force: force, hint: hint, dryRun: dryRun, depth: depth,
                known: known, bulk: bulk)
            if !dryRun, await circuit.succeeded() { recovered.withLock { $0 = true } }
            return action
        } catch let error as TargetError {
            let name = typeName ?? record?.resourceType ?? ""
            if error.retryable { await circuit.failed() }
            if !dryRun { await recordFailure(localID: localID, typeName: name, record: record, error: error) }
            return .skip("\(error)")
        } catch {
            logger.warning("provisioning: directory error", metadata: ["target": "\(settings.name)", "id": "\(localID)", "error": "\(error)"])
            return .skip("directory error")
        }
    }

    private func push(
        localID: String, type: ProvisionedType, record: ProvisioningRecord?, force: Bool, hint: RemoteHint,
        dryRun: Bool, depth: Int, known: Known? = nil, bulk: BulkBatcher? = nil
    ) async throws -> Action {
        let found: LDAPResourceStore.Identity?
        if let resource = known?.resource {
            found = LDAPResourceStore.Identity(id: localID, version: resource.version)
        } else if let version = known?.version {
            found = LDAPResourceStore.Identity(id: localID, version: version)
        } else {
            found = try await store.identity(of: type.name, id: localID, matching: type.selection)
        }
        guard let identity = found else {
            // Deleted, or out of the selection: removed on the target if we put it there.
            guard let record else { return .unchanged }
            if let remoteID = record.remoteID {
                if !dryRun { try await remove(remoteID: remoteID, type: type) }
            }
            if !dryRun {
                try await state.remove(localID)
                forget(localID)
            }
            return .remove(settings.removal)
        }
        if !force, let record, record.status == .synced, record.version == identity.version, record.remoteID != nil {
            remember(localID, record.remoteID)
            return .unchanged
        }
        let local: StoredResource
        if let resource = known?.resource {
            local = resource
        } else {
            do {
                local = try await store.get(
                    id: localID, type: type.resolved, projection: Self.rendering,
                    context: StoreContext(logger: logger))
            } catch let error as SCIMError where error.status == 404 {
                return .skip("gone while reading")
            }
        }
        let (desired, busy) = try await desiredResource(local.resource, localID: localID, type: type, dryRun: dryRun, depth: depth)

        // Find the target's copy: the id we recorded, else by externalId, userName, e-mail (adoption).
        var remote: JSONValue?
        var adopted = false
        switch hint {
        case .present(let value):
            remote = value
        case .absent(let index):
            remote = index.match(desired, hasMembers: type.hasMembers)
            adopted = remote != nil
        case .unknown:
            if let remoteID = record?.remoteID { remote = try await fetch(type, remoteID) }
            if remote == nil {
                remote = try await match(type: type, localID: localID, desired: desired)
                adopted = remote != nil
            }
        }
        let action: Action
        var remoteID = remote?["id"]?.stringValue
        if let remote, let id = remoteID {
            let count = try await update(type: type, remoteID: id, remote: remote, desired: desired, dryRun: dryRun)
            action = adopted ? .adopt(remoteID: id) : (count == 0 ? .unchanged : .update(operations: count))
        } else {
            action = .create
            if !dryRun {
                remoteID = try await create(type: type, localID: localID, desired: desired, bulk: bulk)
            }
        }
        guard !dryRun else { return action }
        guard let remoteID else { throw TargetError(status: 201, detail: "the target returned a resource without id") }
        remember(localID, remoteID)
        if busy > 0 {
            // Some members were being pushed by another worker: this group is pushed again in a moment.
            try await state.save(
                ProvisioningRecord(
                    localID: localID, resourceType: type.name, remoteID: remoteID,
                    version: identity.version, status: .pending, lastAttempt: Date(),
                    lastError: "\(busy) member(s) not on the target yet", nextAttempt: Date()),
                exists: record != nil)
        } else {
            try await state.save(
                ProvisioningRecord(
                    localID: localID, resourceType: type.name, remoteID: remoteID,
                    version: identity.version, status: .synced, lastAttempt: Date()),
                exists: record != nil)
        }
        return action
    }

    /// POSTs the resource (alone, or in a reconciliation's Bulk batch) and answers the target's id. A 409 (already
    /// there) is ours when the resource there carries our id (an earlier POST whose answer was lost): taken and
    /// brought up to date. Otherwise the conflict stands (recorded as failed, shown by `provision status`).
    func create(type: ProvisionedType, localID: String, desired: DesiredResource, bulk: BulkBatcher? = nil)
        async throws(TargetError) -> String?
    {
        let outcome: Result<JSONValue, TargetError>
        switch await bulk?.create(endpoint: type.endpoint, bulkID: localID, body: desired.body) ?? .sendAlone {
        case .created(let resource):
            outcome = .success(resource)
        case .failed(let error):
            outcome = .failure(error)
        case .sendAlone:
            do {
                outcome = .success(try await client.create(type.endpoint, desired.body))
            } catch {
                outcome = .failure(error)
            }
        }
        switch outcome {
        case .success(let created):
            return created["id"]?.stringValue
        case .failure(let error):
            guard error.status == 409, let existing = try await ours(type: type, localID: localID),
                let id = existing["id"]?.stringValue
            else { throw error }
            _ = try await update(type: type, remoteID: id, remote: existing, desired: desired, dryRun: false)
            return id
        }
    }

    /// How resources are read for a target: `groups` is never sent (the target computes it), so not resolved either.
    static let rendering = Projection(excludedAttributes: ["groups"])

    /// The target's resource by its id; nil when it is gone there (deleted by hand: it is created again).
    func fetch(_ type: ProvisionedType, _ remoteID: String) async throws(TargetError) -> JSONValue? {
        do {
            return try await client.get("\(type.endpoint)/\(TargetClient.percentEncoded(remoteID))")
        } catch let error where error.status == 404 {
            return nil
        }
    }

    /// Applies what differs: a minimal PatchOp (attributes, then members by value), or a PUT (users with
    /// `update: put`; everything on a target without PATCH). Returns the number of changes sent.
    func update(type: ProvisionedType, remoteID: String, remote: JSONValue, desired: DesiredResource, dryRun: Bool)
        async throws(TargetError) -> Int
    {
        let path = "\(type.endpoint)/\(TargetClient.percentEncoded(remoteID))"
        var sent = 0
        if await updateMethod() == .put, !type.hasMembers || patchRefused {
            let covered: Bool = ResourceDiff.covers(remote, .object(desired.attributes.filter { $0.key != "schemas" }))
            let operations: [JSONValue] = ResourceDiff.operations(remote: remote, desired: desired, managed: type.managed)
            let memberChanges: [[JSONValue]] = ResourceDiff.memberOperations(
                remote: ResourceDiff.memberIDs(of: remote),
                desired: desired.memberIDs ?? [])
            let same = covered && operations.isEmpty && memberChanges.isEmpty
            if !same {
                if !dryRun { _ = try await client.replace(path, desired.body) }
                sent += 1
            }
            return sent
        }
        let operations = ResourceDiff.operations(remote: remote, desired: desired, managed: type.managed)
        if !operations.isEmpty {
            if !dryRun { _ = try await client.patch(path, operations: operations) }
            sent += operations.count
        }
        if let wanted = desired.memberIDs {
            for request in ResourceDiff.memberOperations(remote: ResourceDiff.memberIDs(of: remote), desired: wanted) {
                if !dryRun { _ = try await client.patch(path, operations: request) }
                sent += request.count
            }
        }
        return sent
    }

    // MARK: Member translation

    func remember(_ localID: String, _ remoteID: String?) {
        guard let remoteID else { return }
        remoteIDs.withLock { map in
            if map.count > 200_000 { map.removeAll(keepingCapacity: true) }
            map[localID] = remoteID
        }
    }

    func forget(_ localID: String) {
        _ = remoteIDs.withLock { $0.removeValue(forKey: localID) }
    }

    func knownRemoteID(_ localID: String) -> String? {
        remoteIDs.withLock { $0[localID] }
    }

    /// The desired resource; members the target does not know yet are pushed first (one level: a member group's
    /// own members are not pushed from here), members outside the target's selection are left out. `busy`: members
    /// another push was handling at that moment (left out now; the group is retried shortly).
    func desiredResource(_ local: JSONValue, localID: String, type: ProvisionedType, dryRun: Bool, depth: Int) async throws
        -> (DesiredResource, busy: Int)
    {
        var (desired, unresolved) = DesiredResource.make(
            from: local, localID: localID, attributes: type.attributes,
            translate: knownRemoteID)
        guard !unresolved.isEmpty else { return (desired, 0) }
        let memberTypes = Dictionary(
            (local["members"]?.arrayValue ?? []).compactMap { member -> (String, String)? in
                guard let value = member["value"]?.stringValue else { return nil }
                return (value, member["type"]?.stringValue ?? "User")
            }, uniquingKeysWith: { first, _ in first })
        var busy = 0
        for memberID in unresolved {
            if let record = try await state.record(memberID), let remoteID = record.remoteID {
                remember(memberID, remoteID)
                continue
            }
            guard !dryRun, depth < 1, let memberType = self.type(named: memberTypes[memberID]) else { continue }
            // Never wait for another push here (two groups holding each other would wait forever).
            guard await locks.tryAcquire(memberID) else {
                busy += 1
                continue
            }
            _ = await syncLocked(
                localID: memberID, typeName: memberType.name, force: true, hint: .unknown, dryRun: false,
                known: nil, depth: depth + 1)
            await locks.release(memberID)
        }
        (desired, _) = DesiredResource.make(from: local, localID: localID, attributes: type.attributes, translate: knownRemoteID)
        return (desired, busy)
    }

    // MARK: Failures

    func recordFailure(localID: String, typeName: String, record: ProvisioningRecord?, error: TargetError) async {
        var next = record ?? ProvisioningRecord(localID: localID, resourceType: typeName)
        next.resourceType = typeName.isEmpty ? next.resourceType : typeName
        next.failures += 1
        next.lastAttempt = Date()
        next.lastError = error.description
        if error.retryable {
            next.status = .pending
            // At most a minute apart: when the target returns, the circuit's first success retries everything anyway.
            let delay = Backoff.delay(attempt: next.failures, base: .seconds(2), cap: .seconds(60), retryAfter: error.retryAfter)
            next.nextAttempt = Date().addingTimeInterval(Double(delay.components.seconds) + 1)
        } else {
            next.status = .failed
            next.nextAttempt = nil
        }
        logger.warning(
            "provisioning failed",
            metadata: [
                "target": "\(settings.name)", "id": "\(localID)",
                "status": "\(next.status.rawValue)", "error": "\(error)",
            ])
        do { try await state.save(next) } catch {
            logger.error("provisioning: cannot record a failure", metadata: ["target": "\(settings.name)", "error": "\(error)"])
        }
    }

    /// The circuit is open: the change is recorded as pending (the directory is the queue) without a request.
    private func defer_(record: ProvisioningRecord?, localID: String, type: ProvisionedType, error: String) async throws {
        var next = record ?? ProvisioningRecord(localID: localID, resourceType: type.name)
        guard next.status != .pending || next.nextAttempt == nil || next.lastError != error else { return }
        next.status = .pending
        next.lastError = error
        next.nextAttempt = Date().addingTimeInterval(await circuit.remaining())
        try await state.save(next)
    }
}

/// Consecutive failures open the circuit for a while (2 s, doubling to 10 s): requests stop, changes wait in
/// the directory as pending; the first success closes it. Open at most 10 s, so a target that comes back is
/// noticed within 10 s (one probe request per 10 s costs a target that is away nothing).
actor Circuit {
    static let longestOpen: Duration = .seconds(10)
    private var failures = 0
    private var openUntil: ContinuousClock.Instant?
    private var cooldown: Duration = .seconds(2)
    let threshold = 5

    func isOpen() -> Bool {
        guard let openUntil else { return false }
        if ContinuousClock.now >= openUntil {
            self.openUntil = nil  // half-open: the next request probes
            return false
        }
        return true
    }

    func remaining() -> TimeInterval {
        guard let openUntil else { return 0 }
        let left = openUntil - ContinuousClock.now
        return max(0, Double(left.components.seconds) + 1)
    }

    func failed() {
        failures += 1
        guard failures >= threshold else { return }
        openUntil = ContinuousClock.now + cooldown
        cooldown = min(cooldown * 2, Self.longestOpen)
    }

    /// True when the target had been failing (the circuit had opened).
    func succeeded() -> Bool {
        let wasOpen = failures >= threshold
        failures = 0
        openUntil = nil
        cooldown = .seconds(2)
        return wasOpen
    }

    var state: String { openUntil == nil ? "closed" : "open" }
}
