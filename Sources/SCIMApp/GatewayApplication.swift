import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import LDAPClient
import Logging
import SCIMCore
import SCIMLDAP
import SCIMProvisioning
import SCIMServer
import ServiceLifecycle
import UnixSignals
import SlapdLauncher

/// Wires a config into a runnable gateway: the LDAP pool, the mapping, the schema registry and the HTTP app.
public struct GatewayApplication {
    public let pool: LDAPPool
    public let store: LDAPResourceStore
    public let router: Router<SCIMRequestContext>
    public let config: GatewayConfig
    public let logger: Logger
    /// The Prometheus registry and instruments; nil with `metrics.enabled: false`.
    public let metrics: GatewayMetrics?
    /// One engine per outbound provisioning target.
    public let provisioning: [ProvisioningEngine]

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
        var registry: SchemaRegistry
        do {
            registry = try SchemaRegistry.load(directory: schemaURL.appendingPathComponent("scim"))
        } catch {
            throw ConfigError("schemas in \(schemaURL.path)/scim: \(error)")
        }
        let mappingURL = URL(fileURLWithPath: config.mapping, relativeTo: configDirectory).standardizedFileURL
        let mapping = try Mapping.load(mappingURL, suffix: config.ldap.suffix)
        registry = try Self.addingPasswordPolicySchemas(
            of: mapping, to: registry,
            schemaDirectory: schemaURL.appendingPathComponent("scim"))
        registry = try Self.addingExtensions(of: mapping, to: registry, mappingDirectory: mappingURL.deletingLastPathComponent())
        registry = try Self.addingPasswordPolicies(of: mapping, to: registry)
        var served = mapping.resourceTypes.keys.sorted().filter { registry.resourceType(named: $0) != nil }
        if registry.resourceType(named: PasswordPolicyResource.name) != nil { served.append(PasswordPolicyResource.name) }
        guard !served.isEmpty else { throw ConfigError("the mapping \(mappingURL.path) maps no known resource type") }
        try config.checkMetrics()
        _ = try config.logFormatSetting()
        let metrics = config.metrics.enabled == false ? nil : GatewayMetrics()
        var ldapConfiguration = try config.ldapConfiguration()
        if let metrics { ldapConfiguration.metrics = metrics.ldap }
        // Password values never enter the gateway's memory, whatever a read asks for (`*` with `read: all`).
        ldapConfiguration.neverRead = mapping.passwordAttributes
        let pool = LDAPPool(configuration: ldapConfiguration, logger: logger)
        guard let passwordWrite = PasswordWriteSetting(config.ldap.passwordWrite) else {
            throw ConfigError("ldap.passwordWrite must be auto, modify, exop or hash, not \(config.ldap.passwordWrite)")
        }
        let pageLimits = PageLimits.standard  // one value for the store and the HTTP layer
        let store = LDAPResourceStore(
            pool: pool, mapping: mapping, baseURL: config.publicBaseURL, logger: logger,
            passwordWrite: passwordWrite, clientScopes: config.directoryScopes(),
            pageLimits: pageLimits)
        var serverConfiguration = SCIMServerConfiguration(
            basePath: config.server.basePath, publicBaseURL: config.publicBaseURL, maxBodyBytes: config.server.maxBodyBytes,
            clients: try config.bearerClients())
        serverConfiguration.pageLimits = pageLimits
        serverConfiguration.features.sort = true
        // The truth at the time of asking: sortBy works only when the directory offers server-side sort + VLV.
        serverConfiguration.features.sortSupported = { [store] in await store.sortingSupported() }
        serverConfiguration.features.filter = true
        serverConfiguration.features.patch = true
        let advertised = try Self.advertised(registry, mapping: mapping)
        serverConfiguration.discoveryRegistry = advertised
        let provisioning = try Self.provisioningEngines(
            config: config, store: store, registry: advertised, logger: logger,
            metrics: metrics)
        serverConfiguration.users = try config.userAuthentication()
        if let metrics {
            serverConfiguration.metrics = metrics.server
            // On the main listener unless it has one of its own (`metrics.port`).
            if config.metrics.port == nil { serverConfiguration.metricsEndpoint = metrics.endpoint(token: config.metrics.token) }
        }
        do {
            serverConfiguration.audit = try AuditLog(destination: config.audit?.destination)
        } catch {
            throw ConfigError("audit.destination: cannot open \(config.audit?.destination ?? "")")
        }
        let router = SCIMRouter.build(
            store: store, registry: registry, servedTypes: served,
            configuration: serverConfiguration)
        return GatewayApplication(
            pool: pool, store: store, router: router, config: config, logger: logger, metrics: metrics,
            provisioning: provisioning)
    }

    /// The registry with the organisation's own extension schemas the mapping names (`extensions:` per type).
    static func addingExtensions(of mapping: Mapping, to registry: SchemaRegistry, mappingDirectory: URL) throws
        -> SchemaRegistry
    {
        var schemas = registry.schemas
        var types = registry.resourceTypes
        for (name, resource) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            for ext in resource.extensions ?? [] {
                let url = URL(fileURLWithPath: ext.schema, relativeTo: mappingDirectory).standardizedFileURL
                let schema: SCIMSchema
                do {
                    schema = try SCIMSchema(json: try JSONValue.parse(try Data(contentsOf: url), maxDepth: 64, maxBytes: 4 << 20))
                } catch let error as SchemaLoadError {
                    throw ConfigError("\(url.path): \(error.message)")
                } catch {
                    throw ConfigError("\(name).extensions: cannot read the schema \(url.path): \(error)")
                }
                guard let index = types.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) else {
                    throw ConfigError("\(name).extensions: no resource type \(name)")
                }
                if !schemas.contains(where: { $0.id.caseInsensitiveEquals(schema.id) }) { schemas.append(schema) }
                if !types[index].schemaExtensions.contains(where: { $0.schema.caseInsensitiveEquals(schema.id) }) {
                    types[index].schemaExtensions.append(.init(schema: schema.id, required: ext.required ?? false))
                }
            }
        }
        // `passwordPolicy.state` shows ppolicy's password state through the bundled extension schema. Not required:
        // clients that honour `required` (scim2-client) would have to send it on every create and replace, which they
        // cannot, its every attribute being readOnly; the server renders it for every user all the same.
        for (name, resource) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) where resource.passwordPolicy?.showsState == true {
            guard schemas.contains(where: { $0.id.caseInsensitiveEquals(PasswordStateAttributes.schema) }) else {
                throw ConfigError("\(name).passwordPolicy: the schema directory lacks \(PasswordStateAttributes.schema)")
            }
            guard let index = types.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) else {
                throw ConfigError("\(name).passwordPolicy: no resource type \(name)")
            }
            types[index].schemaExtensions.removeAll { $0.schema.caseInsensitiveEquals(PasswordStateAttributes.schema) }
            types[index].schemaExtensions.append(.init(schema: PasswordStateAttributes.schema, required: false))
        }
        do {
            return try SchemaRegistry(schemas: schemas, resourceTypes: types)
        } catch {
            throw ConfigError("extension schemas: \(error.message)")
        }
    }

    /// The registry with `/PasswordPolicies` when a mapping names `passwordPolicy.policiesBaseDN`.
    static func addingPasswordPolicies(of mapping: Mapping, to registry: SchemaRegistry) throws -> SchemaRegistry {
        guard mapping.resourceTypes.values.contains(where: { $0.passwordPolicy?.policiesBaseDN != nil && $0.passwordPolicy?.serve == true }) else {
            return registry
        }
        guard registry.schema(id: PasswordPolicyResource.schema) != nil else {
            throw ConfigError("passwordPolicy.policiesBaseDN: the schema directory lacks \(PasswordPolicyResource.schema)")
        }
        let type = SCIMResourceType(
            id: PasswordPolicyResource.name, name: PasswordPolicyResource.name,
            endpoint: PasswordPolicyResource.endpoint,
            description: "The directory's password policies (ppolicy), read-only",
            schema: PasswordPolicyResource.schema)
        do {
            return try SchemaRegistry(schemas: registry.schemas, resourceTypes: registry.resourceTypes + [type])
        } catch {
            throw ConfigError("password policies: \(error.message)")
        }
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
                    schemaID.caseInsensitiveEquals(PasswordPolicyResource.schema)
                        || entry.type.schemas.contains { $0.id.caseInsensitiveEquals(schemaID) }
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
                try await verifyPasswordWrites()
                return
            } catch let error as MappingError {
                throw ConfigError("\(config.mapping): \(error.description)")
            } catch let refusal as PasswordWriteRefusal {
                throw ConfigError("ldap.passwordWrite: \(refusal.description)")
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw ConfigError(
                        "cannot check the mapping: the directory at \(config.ldap.uris.joined(separator: ", ")) did not answer (\(error))")
                }
                logger.warning("directory not answering yet; retrying the mapping check", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Reads what the directory offers for listing (root DSE) and probes the service account's size limits,
    /// logging what was found and what to configure. Throws `ConfigError` when lists cannot be served at all.
    @discardableResult
    public func detectCapabilities() async throws -> DirectoryCapabilities {
        do {
            return try await store.detectCapabilities()
        } catch let error as LDAPResourceStore.CapabilityError {
            throw ConfigError("\(config.ldap.uris.joined(separator: ", ")): \(error.description)")
        } catch let error as LDAPError {
            throw ConfigError("cannot read the directory's root DSE as the service account: \(error.logDescription)")
        }
    }

    /// Decides how passwords are written (never in clear text) and logs it; throws `PasswordWriteRefusal` when
    /// no safe way exists.
    func verifyPasswordWrites() async throws {
        for (type, method) in try await store.verifyPasswordWrites().sorted(by: { $0.key < $1.key }) {
            logger.info("passwords written with \(method.rawValue)", metadata: ["resourceType": "\(type)"])
        }
    }

    /// Runs until SIGTERM/SIGINT, then drains: the listeners close at once (new connections are refused), requests
    /// in flight finish and get their responses, idle keep-alive connections close; half a second past
    /// `server.drainTimeoutSeconds` whatever is left is cut off and the process exits. The LDAP pool closes last,
    /// once no request can need it. Refuses to start when the mapping does not fit the directory's schema or the
    /// directory cannot page through results.
    public func run() async throws {
        let drain = try config.drainTimeout()
        try await verifyMapping()
        try await detectCapabilities()
        let app = try httpApplication()
        // A service group stops its members in reverse order: HTTP first, then the change feed, the pool's
        // reconnection loop last.
        var members: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: PoolService(pool: pool)), .init(service: ChangeFollowerService(store: store)), .init(service: app),
        ]
        if let metricsApp = metricsApplication() { members.append(.init(service: metricsApp)) }
        members += provisioners().map { .init(service: ProvisioningService(provisioner: $0)) }
        let watch = DrainWatch(logger: logger, timeout: drain) { [pool, logger] in
            logger.warning("drain timeout passed with requests still in flight: cutting them off")
            pool.shutdown()
            logger.info("LDAP pool closed")
            exit(0)
        }
        members.append(.init(service: watch))  // last member: told first, when the signal arrives
        var group = ServiceGroupConfiguration(services: members, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = drain
        // Past the drain timeout every member is cancelled; a request blocked on a frozen directory ignores that,
        // and `DrainWatch` ends the process half a second later.
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            pool.shutdown()
            throw error
        }
        logger.info("HTTP drained; closing the LDAP pool", metadata: ["drain.seconds": "\(watch.elapsed)"])
        pool.shutdown()
        logger.info("LDAP pool closed")
    }

    /// The HTTP(S) server: bounded headers, idle and slow-request timeouts, TLS and client certificates when
    /// configured.
    public func httpApplication(port: Int? = nil) throws -> some ApplicationProtocol {
        let server = config.server
        var http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestReadTimeoutHandler(
                    head: .milliseconds(Int64(server.headTimeoutSeconds * 1000)),
                    body: .milliseconds(Int64(server.bodyTimeoutSeconds * 1000)))
            ],
            idleTimeout: .milliseconds(Int64(server.idleTimeoutSeconds * 1000)))
        http.httpDecoder = .init(
            maxHeaderFieldSize: server.maxHeaderBytes, maxHeaderListSize: server.maxHeaderBytes,
            maxHeaderFieldCount: 100)
        let builder: HTTPServerBuilder
        if let tls = server.tls {
            builder = try .tls(.http1(configuration: http), tlsConfiguration: try Self.tlsConfiguration(tls))
        } else {
            builder = .http1(configuration: http)
        }
        return Application(
            router: router, server: builder,
            configuration: .init(address: .hostname(server.host, port: port ?? server.port), serverName: "scim-gateway"),
            logger: logger)
    }

    /// The listener of `/metrics` alone, when `metrics.port` gives it one (plain HTTP, on `metrics.host` or
    /// `server.host`); nil otherwise. `port` overrides the configured one (tests use 0).
    public func metricsApplication(port: Int? = nil) -> Application<RouterResponder<BasicRequestContext>>? {
        guard let metrics, let configured = config.metrics.port else { return nil }
        let router = Router(context: BasicRequestContext.self)
        metrics.endpoint(token: config.metrics.token).register(on: router)
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(config.metrics.host ?? config.server.host, port: port ?? configured),
                serverName: "scim-gateway-metrics"),
            logger: logger)
    }

    static func tlsConfiguration(_ tls: GatewayConfig.TLS) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            if let ca = tls.clientCAFile {
                configuration.trustRoots = .file(ca)
                configuration.certificateVerification = .noHostnameVerification
            }
            return configuration
        } catch {
            throw ConfigError("server.tls: cannot load the certificate or key (\(error))")
        }
    }
}

/// Keeps the pool reconnecting in the background while the gateway runs.
/// Follows the directory's change feed for the group cache (see `LDAPResourceStore.followDirectoryChanges`).
struct ChangeFollowerService: Service {
    let store: LDAPResourceStore

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await store.followDirectoryChanges()
        }
    }
}

struct PoolService: Service {
    let pool: LDAPPool

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await pool.run()
        }
    }
}
