import Foundation
import LDAPClient
import SCIMLDAP
import SCIMServer
import Yams

extension GatewayConfig {
    /// Reads the YAML file, then applies environment overrides and secret files.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> (config: GatewayConfig, directory: URL)
    {
        let url = URL(fileURLWithPath: path)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError("cannot read config file \(path): \(error.localizedDescription)")
        }
        var config: GatewayConfig
        do {
            config = try YAMLDecoder().decode(GatewayConfig.self, from: text.isEmpty ? "{}" : text)
        } catch {
            throw ConfigError("\(path): \(error)")
        }
        try config.applyEnvironment(environment)
        return (config, url.deletingLastPathComponent())
    }

    /// `SCIM_GATEWAY_<SECTION>_<KEY>` for every scalar key; `_FILE` variants read a secret from a file.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        func value(_ name: String) throws -> String? {
            let key = "SCIM_GATEWAY_" + name
            if let file = environment[key + "_FILE"] {
                do {
                    return try Self.readSecret(file)
                } catch {
                    throw ConfigError("\(key)_FILE: cannot read \(file)")
                }
            }
            return environment[key]
        }
        func int(_ name: String) throws -> Int? {
            guard let text = try value(name) else { return nil }
            guard let number = Int(text) else { throw ConfigError("SCIM_GATEWAY_\(name) must be an integer") }
            return number
        }
        if let v = try value("SERVER_HOST") { server.host = v }
        if let v = try int("SERVER_PORT") { server.port = v }
        if let v = try value("SERVER_BASE_PATH") { server.basePath = v }
        if let v = try value("SERVER_PUBLIC_BASE_URL") { server.publicBaseURL = v }
        if let v = try int("SERVER_MAX_BODY_BYTES") { server.maxBodyBytes = v }
        if let v = try value("SERVER_DRAIN_TIMEOUT_SECONDS") {
            guard let seconds = Double(v) else { throw ConfigError("SCIM_GATEWAY_SERVER_DRAIN_TIMEOUT_SECONDS must be a number") }
            server.drainTimeoutSeconds = seconds
        }
        if let v = try value("LDAP_URIS") { ldap.uris = v.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
        if let v = try value("LDAP_SUFFIX") { ldap.suffix = v }
        if let v = try value("LDAP_BIND_METHOD") { ldap.bindMethod = v }
        if let v = try value("LDAP_BIND_DN") { ldap.bindDN = v }
        if let v = try value("LDAP_BIND_PASSWORD") { ldap.bindPassword = v }
        if let v = try value("LDAP_START_TLS") { ldap.startTLS = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = try value("LDAP_CA_FILE") { ldap.caFile = v }
        if let v = try value("LDAP_REQUIRE_CERTIFICATE") { ldap.requireCertificate = v }
        if let v = try int("LDAP_POOL_SIZE") { ldap.poolSize = v }
        if let v = try value("LDAP_PASSWORD_WRITE") { ldap.passwordWrite = v }
        if let v = try value("LDAP_READ_YOUR_WRITES") { ldap.readYourWrites = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = try value("MAPPING") { mapping = v }
        if let v = try value("SCHEMA_DIRECTORY") { schemaDirectory = v }
        if let v = try value("LOG_LEVEL") { logLevel = v }
        if let v = try value("LOG_FORMAT") { logFormat = v }
        if let v = try value("METRICS_ENABLED") { metrics.enabled = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = try value("METRICS_HOST") { metrics.host = v }
        if let v = try int("METRICS_PORT") { metrics.port = v }
        if let v = try value("METRICS_TOKEN") { metrics.token = v }
        if let v = try value("CLIENTS") {
            // name=sha256:hex, comma-separated; replaces the file's list.
            clients = try v.split(separator: ",").map { item in
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ConfigError("SCIM_GATEWAY_CLIENTS: expected name=sha256:<hex>") }
                return Client(name: parts[0], tokenHash: parts[1])
            }
        }
        if metrics.token == nil, let file = metrics.tokenFile {
            do {
                metrics.token = try Self.readSecret(file)
            } catch {
                throw ConfigError("metrics.tokenFile: cannot read \(file)")
            }
        }
        if ldap.bindPassword == nil, let file = ldap.bindPasswordFile {
            do {
                ldap.bindPassword = try Self.readSecret(file)
            } catch {
                throw ConfigError("ldap.bindPasswordFile: cannot read \(file)")
            }
        }
    }

    /// A secret file's content without trailing newlines.
    static func readSecret(_ path: String) throws -> String {
        var text = try String(contentsOf: URL(fileURLWithPath: path), encoding: .utf8)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    /// The LDAP client settings; checks what the gateway cannot run without.
    public func ldapConfiguration() throws -> LDAPConfiguration {
        let bind: LDAPConfiguration.Bind
        switch ldap.bindMethod.lowercased() {
        case "simple":
            guard let dn = ldap.bindDN, let password = ldap.bindPassword else {
                throw ConfigError("ldap.bindDN and ldap.bindPassword (or bindPasswordFile) are required for a simple bind")
            }
            bind = .simple(dn: dn, password: LDAPSecret(password))
        case "sasl-external", "external":
            bind = .saslExternal
        default:
            throw ConfigError("ldap.bindMethod must be simple or sasl-external, not \(ldap.bindMethod)")
        }
        let check: LDAPConfiguration.CertificateCheck =
            switch ldap.requireCertificate.lowercased() {
            case "never": .never
            case "allow": .allow
            case "try": .tryCheck
            case "hard": .hard
            default: .demand
            }
        guard !ldap.uris.isEmpty else { throw ConfigError("ldap.uris must list at least one URI") }
        var configuration = LDAPConfiguration(
            uris: ldap.uris, bind: bind,
            tls: .init(
                startTLS: ldap.startTLS, caFile: ldap.caFile, certFile: ldap.certFile, keyFile: ldap.keyFile,
                requireCertificate: check),
            networkTimeout: .milliseconds(Int(ldap.networkTimeoutSeconds * 1000)),
            operationTimeout: .milliseconds(Int(ldap.operationTimeoutSeconds * 1000)), poolSize: ldap.poolSize)
        if ldap.uris.count > 1, ldap.readYourWrites ?? true {
            configuration.readBarrier = .init(base: ldap.suffix, timeout: min(configuration.operationTimeout, .seconds(2)))
        }
        return configuration
    }

    public func bearerClients() throws -> [BearerClient] {
        try clients.map { client in
            var parsed: BearerClient
            if let hash = client.tokenHash {
                guard let fromHash = BearerClient(name: client.name, hashString: hash) else {
                    throw ConfigError("clients[\(client.name)].tokenHash must be sha256:<64 hex digits>")
                }
                parsed = fromHash
            } else {
                guard client.jwt != nil else { throw ConfigError("clients[\(client.name)] needs tokenHash or jwt") }
                parsed = BearerClient(name: client.name, tokenSHA256: [])
            }
            parsed.strictNoTarget = client.strictNoTarget ?? false
            if let jwt = client.jwt { parsed.jwt = JWTVerifier(settings: try Self.settings(jwt, "clients[\(client.name)].jwt")) }
            if let access = client.access { parsed.policy = try Self.policy(access, "clients[\(client.name)].access") }
            parsed.rateLimit = client.rateLimit.map { .init(rate: $0.requestsPerSecond, burst: $0.burst ?? max(1, $0.requestsPerSecond)) }
            return parsed
        }
    }

    /// /Me's user credentials (nothing enabled when `me` is absent).
    public func userAuthentication() throws -> UserAuthentication {
        guard let me else { return UserAuthentication() }
        var users = UserAuthentication(
            subjectClaim: me.subjectClaim ?? "sub", userAttribute: me.userAttribute ?? "userName",
            basic: me.basic ?? false)
        if let jwt = me.jwt { users.jwt = JWTVerifier(settings: try Self.settings(jwt, "me.jwt")) }
        var access = Access()
        access.resourceTypes = ["User"]
        access.operations = me.operations ?? ["read", "update"]
        access.readOnlyAttributes = me.readOnlyAttributes
        users.policy = try Self.policy(access, "me")
        users.rateLimit =
            me.rateLimit.map { .init(rate: $0.requestsPerSecond, burst: $0.burst ?? max(1, $0.requestsPerSecond)) }
            ?? (me.basic == true ? .init(rate: 1, burst: 10) : nil)
        return users
    }

    static func settings(_ jwt: JWT, _ label: String) throws -> JWTSettings {
        guard (jwt.jwksFile == nil) != (jwt.jwksURL == nil) else { throw ConfigError("\(label): set one of jwksFile and jwksURL") }
        guard !jwt.audience.isEmpty else { throw ConfigError("\(label).audience: name at least one audience") }
        if let url = jwt.jwksURL, !(url.hasPrefix("https://") || url.hasPrefix("http://127.0.0.1") || url.hasPrefix("http://localhost")) {
            throw ConfigError("\(label).jwksURL must be https:// (plain http only on loopback)")
        }
        return JWTSettings(
            issuer: jwt.issuer, audiences: jwt.audience, jwksFile: jwt.jwksFile, jwksURL: jwt.jwksURL,
            requiredScopes: jwt.requiredScopes ?? [], clockSkew: jwt.clockSkewSeconds ?? 60,
            maxLifetime: jwt.maxLifetimeSeconds, minimumRefetch: jwt.minimumRefetchSeconds ?? 30,
            matchClaim: jwt.matchClaim, matchValue: jwt.matchValue)
    }

    static func policy(_ access: Access, _ label: String) throws -> AccessPolicy {
        var operations = Set(AccessPolicy.Operation.allCases)
        if let names = access.operations {
            operations = try Set(
                names.map { name in
                    guard let operation = AccessPolicy.Operation(rawValue: name.lowercased()) else {
                        throw ConfigError("\(label).operations: unknown operation \(name) (read, create, update, delete, bulk)")
                    }
                    return operation
                })
        }
        return AccessPolicy(
            resourceTypes: access.resourceTypes.map(Set.init), operations: operations,
            readOnlyAttributes: Set(access.readOnlyAttributes ?? []))
    }

    /// Client name → the subtree and proxy identity its requests have in the directory (clients with neither are
    /// left out: unrestricted).
    public func directoryScopes() -> [String: DirectoryScope] {
        var scopes: [String: DirectoryScope] = [:]
        for client in clients {
            guard let access = client.access, access.baseDN != nil || access.proxyAuthorization != nil else { continue }
            scopes[client.name] = DirectoryScope(baseDN: access.baseDN, proxiedAuthorizationID: access.proxyAuthorization)
        }
        return scopes
    }

    /// The log format; throws for anything but text and json.
    public func logFormatSetting() throws -> LogFormat { try LogFormat(parsing: logFormat) }

    /// Checks the metrics keys: a port of its own must differ from the main one, and a token must not be empty.
    public func checkMetrics() throws {
        if let port = metrics.port {
            guard (0...65535).contains(port) else { throw ConfigError("metrics.port must be 0-65535") }
            if port != 0, port == server.port, (metrics.host ?? server.host) == server.host {
                throw ConfigError("metrics.port must differ from server.port (leave it unset to serve /metrics there)")
            }
        }
        if let token = metrics.token, token.isEmpty { throw ConfigError("metrics.token must not be empty") }
    }

    /// The drain timeout as a duration; refuses zero, negative and absurd values.
    public func drainTimeout() throws -> Duration {
        let seconds = server.drainTimeoutSeconds
        guard seconds.isFinite, seconds > 0, seconds <= 3600 else {
            throw ConfigError("server.drainTimeoutSeconds must be more than 0 and at most 3600")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    public var publicBaseURL: String {
        server.publicBaseURL ?? "\(server.tls == nil ? "http" : "https")://\(server.host):\(server.port)\(server.basePath)"
    }
}
