import Logging
import Synchronization
import SCIMCore

/// What the target says it supports (`GET /ServiceProviderConfig`, RFC 7643 §5), read once per engine.
extension ProvisioningEngine {
    /// How a changed resource is updated: as configured, except on a target whose ServiceProviderConfig says
    /// `patch.supported: false`, where everything goes as PUT (groups too: the whole member list is sent, the
    /// only way such a target takes it). A target that does not answer the question is assumed to take PATCH;
    /// one that cannot be reached is asked again next time.
    func updateMethod() async -> TargetSettings.UpdateMethod {
        if let known = patchSupported.withLock({ $0 }) { return known ? settings.update : .put }
        let supported: Bool
        do {
            let config = try await client.get("/ServiceProviderConfig")
            supported = config?["patch"]?["supported"]?.boolValue ?? true
        } catch let error where error.status == nil {
            return settings.update
        } catch {
            supported = true
        }
        patchSupported.withLock { $0 = supported }
        if !supported {
            logger.notice("provisioning: the target does not support PATCH (its ServiceProviderConfig): updates are sent as PUT",
                          metadata: ["target": "\(settings.name)"])
        }
        return supported ? settings.update : .put
    }

    /// True once the target said it does not support PATCH: groups are replaced with PUT too.
    var patchRefused: Bool { patchSupported.withLock { $0 == false } }
}
