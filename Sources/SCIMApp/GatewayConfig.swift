import Foundation
import LDAPClient
import SCIMServer
import Yams

/// The gateway's configuration file (YAML; see Config/scim-gateway.example.yaml for every key).
///
/// Layering: defaults ← file ← environment (`SCIM_GATEWAY_<SECTION>_<KEY>`, e.g. `SCIM_GATEWAY_LDAP_BIND_PASSWORD`)
/// ← `*_FILE` variants for secrets (`SCIM_GATEWAY_LDAP_BIND_PASSWORD_FILE=/run/secrets/ldap`).
public struct GatewayConfig: Sendable, Codable {
    public struct Server: Sendable, Codable {
        public var host: String = "127.0.0.1"
        public var port: Int = 8080
        public var basePath: String = "/scim/v2"
        /// Public base URL of the SCIM API, used in Location, meta.location and $ref.
        public var publicBaseURL: String?
        public var maxBodyBytes: Int = 1 << 20
        /// HTTPS, and optionally client certificates (mTLS).
        public var tls: TLS?
        /// A connection with no request for this long is closed.
        public var idleTimeoutSeconds: Double = 60
        /// A request head must arrive within this long (slowloris), its body within `bodyTimeoutSeconds` more.
        public var headTimeoutSeconds: Double = 10
        public var bodyTimeoutSeconds: Double = 30
        /// Bound on all request header fields together (bytes).
        public var maxHeaderBytes: Int = 32 * 1024
        /// On SIGTERM/SIGINT: how long requests in flight may take to finish before the rest are cut off.
        public var drainTimeoutSeconds: Double = 30
    }

    public struct TLS: Sendable, Codable {
        public var certificateFile: String
        public var keyFile: String
        /// CA certificates client certificates must chain to; set to require client certificates (mTLS).
        public var clientCAFile: String?

        public init(certificateFile: String, keyFile: String, clientCAFile: String? = nil) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
        }
    }

    public struct LDAP: Sendable, Codable {
        public var uris: [String] = ["ldap://127.0.0.1:389"]
        public var suffix: String = "dc=example,dc=org"
        /// `simple` (bindDN + password) or `sasl-external` (ldapi peer credentials or a TLS client certificate).
        public var bindMethod: String = "simple"
        public var bindDN: String?
        public var bindPassword: String?
        public var bindPasswordFile: String?
        public var startTLS: Bool = false
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// never | allow | try | demand | hard
        public var requireCertificate: String = "demand"
        public var networkTimeoutSeconds: Double = 3
        public var operationTimeoutSeconds: Double = 30
        public var poolSize: Int = 8
        /// How passwords are written so the directory never stores them in clear text: `auto` (default: decided
        /// from the directory at start-up), `modify`, `exop` or `hash` (see `PasswordWriteMethod`).
        public var passwordWrite: String = "auto"
        /// With several URIs (replicated providers): before each use of a connection, wait until its provider holds
        /// every change any reachable provider holds (contextCSN), so a client reading through another gateway
        /// instance sees its own writes. Default: on when more than one URI is configured.
        public var readYourWrites: Bool?
    }

    /// OAuth 2.0 access tokens (JWTs): see `JWTSettings`.
    public struct JWT: Sendable, Codable {
        public var issuer: String
        public var audience: [String]
        public var jwksFile: String?
        public var jwksURL: String?
        public var requiredScopes: [String]?
        public var clockSkewSeconds: Double?
        public var maxLifetimeSeconds: Double?
        /// When one issuer serves several clients: the claim (`azp`, `client_id`, `sub`) and its value.
        public var matchClaim: String?
        public var matchValue: String?
        public var minimumRefetchSeconds: Double?

        public init(issuer: String, audience: [String], jwksFile: String? = nil, jwksURL: String? = nil) {
            self.issuer = issuer
            self.audience = audience
            self.jwksFile = jwksFile
            self.jwksURL = jwksURL
        }
    }

    /// What a client may do (all of it when absent).
    public struct Access: Sendable, Codable {
        /// Resource type names (`User`, `Group`).
        public var resourceTypes: [String]?
        /// `read`, `create`, `update`, `delete`, `bulk`.
        public var operations: [String]?
        /// Only resources inside this subtree are visible and writable.
        public var baseDN: String?
        /// SCIM attributes the client may not write (`password`, `emails`, `urn:...:manager`).
        public var readOnlyAttributes: [String]?
        /// LDAP identity (`dn:...` or `u:...`) every directory operation runs as (Proxied Authorization).
        public var proxyAuthorization: String?

        public init() {}
    }

    public struct RateLimit: Sendable, Codable {
        public var requestsPerSecond: Double
        public var burst: Double?
        public init(requestsPerSecond: Double, burst: Double? = nil) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }
    }

    public struct Client: Sendable, Codable {
        public var name: String
        /// `sha256:<hex>` of a static bearer token (`scim-gateway hash-token`); optional when `jwt` is set.
        public var tokenHash: String?
        /// OAuth 2.0 access tokens that identify this client.
        public var jwt: JWT?
        public var access: Access?
        public var rateLimit: RateLimit?
        /// Compatibility: `true` answers 400 noTarget when a PATCH replace's value filter matches nothing (RFC
        /// reading) instead of adding the value (what Entra ID expects; the default).
        public var strictNoTarget: Bool?

        public init(name: String, tokenHash: String?, strictNoTarget: Bool? = nil) {
            self.name = name
            self.tokenHash = tokenHash
            self.strictNoTarget = strictNoTarget
        }
    }

    /// User-bound credentials, for /Me.
    public struct Me: Sendable, Codable {
        /// Users' JWTs (the subject names the user).
        public var jwt: JWT?
        /// The claim naming the user (default `sub`) and the SCIM attribute it equals (default `userName`).
        public var subjectClaim: String?
        public var userAttribute: String?
        /// HTTP Basic checked by an LDAP bind as the user (default false).
        public var basic: Bool?
        /// What users may do to their own resource: `read`, `update`, `delete` (default read, update).
        public var operations: [String]?
        public var readOnlyAttributes: [String]?
        /// Per user (Basic: per user name, against password guessing).
        public var rateLimit: RateLimit?

        public init() {}
    }

    public struct Audit: Sendable, Codable {
        /// A file path (JSON lines, appended), `stdout`, `stderr`, or `off`.
        public var destination: String?
        public init(destination: String? = nil) { self.destination = destination }
    }

    /// `/metrics` (Prometheus text format): on the main listener by default, or on a listener of its own.
    public struct Metrics: Sendable, Codable {
        /// false removes the endpoint (and stops nothing else: the counters cost next to nothing).
        public var enabled: Bool?
        /// A port of its own for `/metrics` (then the main listener does not serve it), on `host`.
        public var port: Int?
        /// Address of that listener (default: `server.host`).
        public var host: String?
        /// A bearer token scrapers must send (compared in constant time); `tokenFile` reads it from a file.
        public var token: String?
        public var tokenFile: String?

        public init() {}
    }

    public var server = Server()
    public var ldap = LDAP()
    /// Path of the mapping file (relative paths resolve against the config file's folder).
    public var mapping: String = "mapping/bundled.yaml"
    /// Folder holding `scim/*.json` and `ldap/`; found automatically when unset.
    public var schemaDirectory: String?
    public var clients: [Client] = []
    public var me: Me?
    public var audit: Audit?
    public var logLevel: String = "info"
    /// `text` (default) or `json`: one JSON object per line.
    public var logFormat: String = "text"
    public var metrics = Metrics()
    /// Outbound provisioning to other SCIM services (see GatewayConfig+Provisioning.swift).
    public var provisioning: Provisioning?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case server, ldap, mapping, schemaDirectory, clients, me, audit, logLevel, logFormat, metrics, provisioning
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        server = try container.decodeIfPresent(Server.self, forKey: .server) ?? Server()
        ldap = try container.decodeIfPresent(LDAP.self, forKey: .ldap) ?? LDAP()
        mapping = try container.decodeIfPresent(String.self, forKey: .mapping) ?? mapping
        schemaDirectory = try container.decodeIfPresent(String.self, forKey: .schemaDirectory)
        clients = try container.decodeIfPresent([Client].self, forKey: .clients) ?? []
        me = try container.decodeIfPresent(Me.self, forKey: .me)
        audit = try container.decodeIfPresent(Audit.self, forKey: .audit)
        logLevel = try container.decodeIfPresent(String.self, forKey: .logLevel) ?? logLevel
        logFormat = try container.decodeIfPresent(String.self, forKey: .logFormat) ?? logFormat
        metrics = try container.decodeIfPresent(Metrics.self, forKey: .metrics) ?? Metrics()
        provisioning = try container.decodeIfPresent(Provisioning.self, forKey: .provisioning)
    }
}

extension GatewayConfig.Server {
    enum CodingKeys: String, CodingKey {
        case host, port, basePath, publicBaseURL, maxBodyBytes, tls, idleTimeoutSeconds, headTimeoutSeconds, bodyTimeoutSeconds,
            maxHeaderBytes, drainTimeoutSeconds
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        basePath = try c.decodeIfPresent(String.self, forKey: .basePath) ?? basePath
        publicBaseURL = try c.decodeIfPresent(String.self, forKey: .publicBaseURL)
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
        tls = try c.decodeIfPresent(GatewayConfig.TLS.self, forKey: .tls)
        idleTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .idleTimeoutSeconds) ?? idleTimeoutSeconds
        headTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .headTimeoutSeconds) ?? headTimeoutSeconds
        bodyTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .bodyTimeoutSeconds) ?? bodyTimeoutSeconds
        maxHeaderBytes = try c.decodeIfPresent(Int.self, forKey: .maxHeaderBytes) ?? maxHeaderBytes
        drainTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .drainTimeoutSeconds) ?? drainTimeoutSeconds
    }
}

extension GatewayConfig.LDAP {
    enum CodingKeys: String, CodingKey {
        case uris, suffix, bindMethod, bindDN, bindPassword, bindPasswordFile, startTLS, caFile, certFile, keyFile,
            requireCertificate, networkTimeoutSeconds, operationTimeoutSeconds, poolSize, passwordWrite, readYourWrites
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uris = try c.decodeIfPresent([String].self, forKey: .uris) ?? uris
        suffix = try c.decodeIfPresent(String.self, forKey: .suffix) ?? suffix
        bindMethod = try c.decodeIfPresent(String.self, forKey: .bindMethod) ?? bindMethod
        bindDN = try c.decodeIfPresent(String.self, forKey: .bindDN)
        bindPassword = try c.decodeIfPresent(String.self, forKey: .bindPassword)
        bindPasswordFile = try c.decodeIfPresent(String.self, forKey: .bindPasswordFile)
        startTLS = try c.decodeIfPresent(Bool.self, forKey: .startTLS) ?? startTLS
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        certFile = try c.decodeIfPresent(String.self, forKey: .certFile)
        keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
        requireCertificate = try c.decodeIfPresent(String.self, forKey: .requireCertificate) ?? requireCertificate
        networkTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .networkTimeoutSeconds) ?? networkTimeoutSeconds
        operationTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .operationTimeoutSeconds) ?? operationTimeoutSeconds
        poolSize = try c.decodeIfPresent(Int.self, forKey: .poolSize) ?? poolSize
        passwordWrite = try c.decodeIfPresent(String.self, forKey: .passwordWrite) ?? passwordWrite
        readYourWrites = try c.decodeIfPresent(Bool.self, forKey: .readYourWrites)
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
