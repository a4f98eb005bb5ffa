import Foundation
import Logging
import SCIMCore
import SCIMLDAP
import SCIMProvisioning
import ServiceLifecycle

extension GatewayApplication {
    /// One engine per `provisioning.targets[]`, over the resource types the mapping serves (as discovery
    /// advertises them, so the attributes compared are the ones the gateway stores).
    static func provisioningEngines(
        config: GatewayConfig, store: LDAPResourceStore, registry: SchemaRegistry, logger: Logger,
        metrics: GatewayMetrics?
    ) throws -> [ProvisioningEngine] {
        try config.targetSettings().map { settings in
            var types: [ProvisionedType] = []
            for name in settings.resourceTypes {
                guard store.mapping.resourceTypes[name] != nil, let resolved = registry.resourceType(named: name) else {
                    throw ConfigError("provisioning.targets[\(settings.name)].resourceTypes: \(name) is not served by the mapping")
                }
                types.append(ProvisionedType(resolved: resolved, settings: settings))
            }
            let client: TargetClient
            do {
                client = try TargetClient(settings: settings, logger: logger)
            } catch {
                throw ConfigError("provisioning.targets[\(settings.name)]: \(error)")
            }
            let state = ProvisioningStateStore(pool: store.pool, baseDN: config.provisioningStateBaseDN, target: settings.name)
            let instruments = metrics.map { ProvisioningMetrics(target: settings.name, factory: $0.factory) } ?? .disabled
            return ProvisioningEngine(
                settings: settings, store: store, state: state, client: client, types: types, logger: logger,
                metrics: instruments)
        }
    }

    /// The provisioners `run()` starts (none without targets).
    public func provisioners(holder: String = Provisioner.defaultHolder()) -> [Provisioner] {
        let lease = Duration.milliseconds(Int64((config.provisioning?.leaseSeconds ?? 15) * 1000))
        return provisioning.map { Provisioner(engine: $0, holder: holder, leaseDuration: lease, feedBase: config.ldap.suffix, logger: logger) }
    }
}

/// A provisioner as a service of the gateway's lifecycle: stops (and gives its lease up) on SIGTERM.
struct ProvisioningService: Service {
    let provisioner: Provisioner

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await provisioner.run()
        }
    }
}
