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
    }

    public struct Client: Sendable, Codable {
        public var name: String
        /// `sha256:<hex>` of the bearer token (`scim-gateway hash-token`).
        public var tokenHash: String
        /// Compatibility: `true` answers 400 noTarget when a PATCH replace's value filter matches nothing (RFC
        /// reading) instead of adding the value (what Entra ID expects; the default).
        public var strictNoTarget: Bool?

        public init(name: String, tokenHash: String, strictNoTarget: Bool? = nil) {
            self.name = name
            self.tokenHash = tokenHash
            self.strictNoTarget = strictNoTarget
        }
    }

    public var server = Server()
    public var ldap = LDAP()
    /// Path of the mapping file (relative paths resolve against the config file's folder).
    public var mapping: String = "mapping/bundled.yaml"
    /// Folder holding `scim/*.json` and `ldap/`; found automatically when unset.
    public var schemaDirectory: String?
    public var clients: [Client] = []
    public var logLevel: String = "info"

    public init() {}

    enum CodingKeys: String, CodingKey { case server, ldap, mapping, schemaDirectory, clients, logLevel }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        server = try container.decodeIfPresent(Server.self, forKey: .server) ?? Server()
        ldap = try container.decodeIfPresent(LDAP.self, forKey: .ldap) ?? LDAP()
        mapping = try container.decodeIfPresent(String.self, forKey: .mapping) ?? mapping
        schemaDirectory = try container.decodeIfPresent(String.self, forKey: .schemaDirectory)
        clients = try container.decodeIfPresent([Client].self, forKey: .clients) ?? []
        logLevel = try container.decodeIfPresent(String.self, forKey: .logLevel) ?? logLevel
    }
}

extension GatewayConfig.Server {
    enum CodingKeys: String, CodingKey { case host, port, basePath, publicBaseURL, maxBodyBytes }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? host
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        basePath = try c.decodeIfPresent(String.self, forKey: .basePath) ?? basePath
        publicBaseURL = try c.decodeIfPresent(String.self, forKey: .publicBaseURL)
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
    }
}

extension GatewayConfig.LDAP {
    enum CodingKeys: String, CodingKey {
        case uris, suffix, bindMethod, bindDN, bindPassword, bindPasswordFile, startTLS, caFile, certFile, keyFile,
             requireCertificate, networkTimeoutSeconds, operationTimeoutSeconds, poolSize
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
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
