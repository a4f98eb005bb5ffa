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
