import Foundation
import Hummingbird
import LDAPClient
import Logging
import SCIMCore
import SCIMLDAP
import SCIMServer
import ServiceLifecycle
import UnixSignals
import SlapdHarness

/// Wires a config into a runnable gateway: the LDAP pool, the mapping, the schema registry and the HTTP app.
public struct GatewayApplication {
    public let pool: LDAPPool
    public let store: LDAPResourceStore
    public let router: Router<SCIMRequestContext>
    public let config: GatewayConfig
    public let logger: Logger

    /// Builds everything that does not need a running server. `configDirectory` resolves relative paths.
    public static func build(config: GatewayConfig, configDirectory: URL, logger: Logger) throws -> GatewayApplication {
        let schemaURL: URL
        if let directory = config.schemaDirectory {
            schemaURL = URL(fileURLWithPath: directory, relativeTo: configDirectory).standardizedFileURL
        } else if let found = SchemaDirectory.locate() ?? SchemaDirectory.locate(startingAt: configDirectory.path) {
            schemaURL = found
        } else {
            throw ConfigError("schema directory not found: set schemaDirectory in the config")
        }
        let registry: SchemaRegistry
        do {
            registry = try SchemaRegistry.load(directory: schemaURL.appendingPathComponent("scim"))
        } catch {
            throw ConfigError("schemas in \(schemaURL.path)/scim: \(error)")
        }
        let mappingURL = URL(fileURLWithPath: config.mapping, relativeTo: configDirectory).standardizedFileURL
        let mapping = try Mapping.load(mappingURL, suffix: config.ldap.suffix)
        let served = mapping.resourceTypes.keys.sorted().filter { registry.resourceType(named: $0) != nil }
        guard !served.isEmpty else { throw ConfigError("the mapping \(mappingURL.path) maps no known resource type") }
        let pool = LDAPPool(configuration: try config.ldapConfiguration(), logger: logger)
        let store = LDAPResourceStore(pool: pool, mapping: mapping, baseURL: config.publicBaseURL, logger: logger)
        var serverConfiguration = SCIMServerConfiguration(
            basePath: config.server.basePath, publicBaseURL: config.publicBaseURL, maxBodyBytes: config.server.maxBodyBytes,
            clients: try config.bearerClients())
        serverConfiguration.features.sort = true
        serverConfiguration.features.filter = true
        serverConfiguration.features.patch = true
        serverConfiguration.discoveryRegistry = try Self.advertised(registry, mapping: mapping)
        let router = SCIMRouter.build(store: store, registry: registry, servedTypes: served,
                                      configuration: serverConfiguration)
        return GatewayApplication(pool: pool, store: store, router: router, config: config, logger: logger)
    }

    /// The registry cut down to what the mapping stores, for /Schemas and /ResourceTypes.
    static func advertised(_ registry: SchemaRegistry, mapping: Mapping) throws -> SchemaRegistry {
        var stores: [(type: ResolvedResourceType, stored: MappedAttributes)] = []
        for (name, resource) in mapping.resourceTypes {
            if let type = registry.resourceType(named: name) { stores.append((type, MappedAttributes(resource))) }
        }
        do {
            return try registry.restricted { schemaID, attribute, sub in
                stores.contains { entry in
                    entry.type.schemas.contains { $0.id.caseInsensitiveEquals(schemaID) }
                        && entry.stored.stores(urn: schemaID, attribute: attribute, sub: sub, coreSchema: entry.type.coreSchema.id)
                }
            }
        } catch {
            throw ConfigError("schemas restricted to the mapping: \(error)")
        }
    }

    /// Checks the mapping against the directory's schema, waiting up to `wait` for the directory to answer.
    /// Throws `ConfigError` naming every bad mapping entry, or when the directory never answered.
    public func verifyMapping(wait: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + wait
        while true {
            do {
                try await store.verifyMapping()
                return
            } catch let error as MappingError {
                throw ConfigError("\(config.mapping): \(error.description)")
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw ConfigError("cannot check the mapping: the directory at \(config.ldap.uris.joined(separator: ", ")) did not answer (\(error))")
                }
                logger.warning("directory not answering yet; retrying the mapping check", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs until SIGTERM/SIGINT: HTTP stops first, the LDAP pool last. Refuses to start when the mapping does
    /// not fit the directory's schema.
    public func run() async throws {
        try await verifyMapping()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(config.server.host, port: config.server.port),
                                 serverName: "scim-gateway"),
            logger: logger)
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: PoolService(pool: pool)), .init(service: app)],
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
        pool.shutdown()
    }
}

/// Keeps the pool reconnecting in the background while the gateway runs.
struct PoolService: Service {
    let pool: LDAPPool

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await pool.run()
        }
    }
}
