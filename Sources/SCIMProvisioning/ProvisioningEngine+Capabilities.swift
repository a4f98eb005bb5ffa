import Logging
import Synchronization
import SCIMCore

/// What the target says it supports (`GET /ServiceProviderConfig`, RFC 7643 §5), read once per engine.
struct TargetCapabilities: Sendable {
    /// `patch.supported`; a target that does not answer the question is assumed to take PATCH.
    var patch = true
    /// `bulk.supported` with its limits; nil when the target has no Bulk endpoint.
    var bulk: BulkLimits?

    init(patch: Bool = true, bulk: BulkLimits? = nil) {
        self.patch = patch
        self.bulk = bulk
    }

    init(serviceProviderConfig config: JSONValue?) {
        patch = config?["patch"]?["supported"]?.boolValue ?? true
        if config?["bulk"]?["supported"]?.boolValue == true {
            let operations = config?["bulk"]?["maxOperations"]?.int64Value.map { Int(clamping: $0) } ?? 0
            let payload = config?["bulk"]?["maxPayloadSize"]?.int64Value.map { Int(clamping: $0) } ?? 0
            // A target announcing Bulk with no room for two operations gains nothing from it.
            if operations >= 2, payload >= 4096 { bulk = BulkLimits(maxOperations: operations, maxPayloadSize: payload) }
        }
    }
}

extension ProvisioningEngine {
    /// The target's capabilities, asked once. One that cannot be reached is asked again next time (nil meanwhile).
    func capabilities() async -> TargetCapabilities? {
        if let known = knownCapabilities.withLock({ $0 }) { return known }
        let found: TargetCapabilities
        do {
            found = TargetCapabilities(serviceProviderConfig: try await client.get("/ServiceProviderConfig"))
        } catch let error where error.status == nil {
            return nil
        } catch {
            found = TargetCapabilities()
        }
        knownCapabilities.withLock { $0 = found }
        if !found.patch {
            logger.notice(
                "provisioning: the target does not support PATCH (its ServiceProviderConfig): updates are sent as PUT",
                metadata: ["target": "\(settings.name)"])
        }
        return found
    }

    /// How a changed resource is updated: as configured, except on a target whose ServiceProviderConfig says
    /// `patch.supported: false`, where everything goes as PUT (groups too: the whole member list is sent, the
    /// only way such a target takes it).
    func updateMethod() async -> TargetSettings.UpdateMethod {
        guard let known = await capabilities() else { return settings.update }
        return known.patch ? settings.update : .put
    }

    /// True once the target said it does not support PATCH: groups are replaced with PUT too.
    var patchRefused: Bool { knownCapabilities.withLock { $0?.patch == false } }

    /// The batcher a reconciliation sends its creates through: when the target has a Bulk endpoint (and the
    /// target's settings allow it), creates go a batch per request; nil otherwise (one POST each).
    func bulkBatcher() async -> BulkBatcher? {
        guard settings.bulk, let limits = await capabilities()?.bulk else { return nil }
        return BulkBatcher(client: client, limits: limits, logger: logger, target: settings.name) { [weak self] in
            self?.knownCapabilities.withLock { $0?.bulk = nil }
        }
    }
}
