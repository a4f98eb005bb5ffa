import Foundation
import LDAPClient
@testable import SCIMApp
import SCIMLDAP
import SCIMServer
import Testing

@Suite("Config file, environment overrides and secret files")
struct ConfigTests {
    static let example = GatewayHarness.repository.appendingPathComponent("Config/scim-gateway.example.yaml").path

    @Test func exampleConfigLoads() throws {
        let (config, directory) = try GatewayConfig.load(
            path: Self.example,
            environment: ["SCIM_GATEWAY_LDAP_BIND_PASSWORD": "pw"])
        #expect(config.server.publicBaseURL == "https://scim.example.org/scim/v2")
        #expect(config.ldap.uris == ["ldap://ldap1.example.org", "ldap://ldap2.example.org"])
        #expect(config.ldap.startTLS)
        #expect(config.clients.first?.name == "entra-id")
        let clients = try config.bearerClients()
        #expect(clients.map(\.name) == ["entra-id", "strict-client", "keycloak"])
        #expect(clients.map(\.strictNoTarget) == [false, true, false])
        #expect(clients[1].rateLimit == .init(rate: 20, burst: 50))
        #expect(clients[2].jwt?.settings.issuer == "https://sso.example.org/realms/corp")
        #expect(clients[2].jwt?.settings.requiredScopes == ["scim"])
        #expect(clients[2].policy.readOnlyAttributes == ["password"])
        #expect(clients[2].policy.operations.count == 5)
        #expect(config.server.headTimeoutSeconds == 10 && config.server.maxHeaderBytes == 32768)
        #expect(directory.lastPathComponent == "Config")
    }

    @Test func environmentOverridesAndSecretFiles() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)")
        try "s3cret-from-file\n".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let (config, _) = try GatewayConfig.load(
            path: Self.example,
            environment: [
                "SCIM_GATEWAY_SERVER_PORT": "9443",
                "SCIM_GATEWAY_LDAP_URIS": "ldaps://a.example.org ldaps://b.example.org",
                "SCIM_GATEWAY_LDAP_BIND_PASSWORD_FILE": secret.path,
                "SCIM_GATEWAY_CLIENTS": "okta=sha256:" + String(repeating: "ab", count: 32),
            ])
        #expect(config.server.port == 9443)
        #expect(config.ldap.uris == ["ldaps://a.example.org", "ldaps://b.example.org"])
        #expect(config.ldap.bindPassword == "s3cret-from-file")
        #expect(config.clients.map(\.name) == ["okta"])
        let ldap = try config.ldapConfiguration()
        guard case .simple(_, let password) = ldap.bind else {
            Issue.record("expected a simple bind")
            return
        }
        #expect(password.value == "s3cret-from-file")
        #expect("\(password)" == "<redacted>")  // secrets never print themselves
    }

    /// The environment layer (swift-configuration's provider): every key by its YAML path in upper snake case,
    /// Booleans as the library reads them, typed values from `_FILE` too, and refusals naming the variable.
    @Test func environmentNamesTypesAndRefusals() throws {
        let port = FileManager.default.temporaryDirectory.appendingPathComponent("port-\(UUID().uuidString)")
        try "8444\n".write(to: port, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: port) }
        let base = ["SCIM_GATEWAY_LDAP_BIND_PASSWORD": "pw"]
        let (config, _) = try GatewayConfig.load(
            path: Self.example,
            environment: base.merging([
                "SCIM_GATEWAY_SERVER_PUBLIC_BASE_URL": "https://other.example.org/scim/v2",
                "SCIM_GATEWAY_SERVER_PORT_FILE": port.path,
                "SCIM_GATEWAY_SERVER_DRAIN_TIMEOUT_SECONDS": "2.5",
                "SCIM_GATEWAY_LDAP_START_TLS": "No",
                "SCIM_GATEWAY_LDAP_READ_YOUR_WRITES": "0",
                "SCIM_GATEWAY_LDAP_BIND_DN": "cn=other,dc=example,dc=org",
                "SCIM_GATEWAY_METRICS_ENABLED": "YES",
                "SCIM_GATEWAY_LOG_LEVEL": "debug",
            ]) { $1 })
        #expect(config.server.publicBaseURL == "https://other.example.org/scim/v2")
        #expect(config.server.port == 8444)
        #expect(config.server.drainTimeoutSeconds == 2.5)
        #expect(!config.ldap.startTLS)
        #expect(config.ldap.readYourWrites == false)
        #expect(config.ldap.bindDN == "cn=other,dc=example,dc=org")
        #expect(config.metrics.enabled == true)
        #expect(config.logLevel == "debug")
        for (name, value, words) in [
            ("SCIM_GATEWAY_LDAP_START_TLS", "ture", "true or false"),
            ("SCIM_GATEWAY_LDAP_POOL_SIZE", "8x", "an integer"),
            ("SCIM_GATEWAY_SERVER_DRAIN_TIMEOUT_SECONDS", "soon", "a number"),
        ] {
            do {
                _ = try GatewayConfig.load(path: Self.example, environment: base.merging([name: value]) { $1 })
                Issue.record("\(name)=\(value) was accepted")
            } catch let error as ConfigError {
                #expect(error.description.contains(name) && error.description.contains(words), "\(error)")
            }
        }
        do {
            _ = try GatewayConfig.load(
                path: Self.example, environment: base.merging(["SCIM_GATEWAY_METRICS_TOKEN_FILE": "/nonexistent/token"]) { $1 })
            Issue.record("an unreadable token file was accepted")
        } catch let error as ConfigError {
            #expect(error.description.contains("SCIM_GATEWAY_METRICS_TOKEN_FILE"))
        }
        // `_FILE` of keys ending in capitals keeps its own word, and wins over the plain variable.
        let dnFile = FileManager.default.temporaryDirectory.appendingPathComponent("dn-\(UUID().uuidString)")
        let tlsFile = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try "cn=from-file,dc=example,dc=org\n".write(to: dnFile, atomically: true, encoding: .utf8)
        try "true\n".write(to: tlsFile, atomically: true, encoding: .utf8)
        defer { for file in [dnFile, tlsFile] { try? FileManager.default.removeItem(at: file) } }
        let (fromFiles, _) = try GatewayConfig.load(
            path: Self.example,
            environment: base.merging([
                "SCIM_GATEWAY_LDAP_BIND_DN": "cn=plain,dc=example,dc=org", "SCIM_GATEWAY_LDAP_BIND_DN_FILE": dnFile.path,
                "SCIM_GATEWAY_LDAP_START_TLS": "false", "SCIM_GATEWAY_LDAP_START_TLS_FILE": tlsFile.path,
            ]) { $1 })
        #expect(fromFiles.ldap.bindDN == "cn=from-file,dc=example,dc=org")
        #expect(fromFiles.ldap.startTLS)
        #expect(EnvironmentOverrides.variable("ldap.bindDN") == "SCIM_GATEWAY_LDAP_BIND_DN")
        #expect(EnvironmentOverrides.variable("server.publicBaseURL") == "SCIM_GATEWAY_SERVER_PUBLIC_BASE_URL")
    }

    @Test func badValuesAreReportedByKey() throws {
        do {
            _ = try GatewayConfig.load(path: Self.example, environment: [:])  // its bindPasswordFile does not exist here
            Issue.record("a missing password file was accepted")
        } catch let error as ConfigError {
            #expect(error.description.contains("ldap.bindPasswordFile"))
        }
        #expect(throws: ConfigError.self) {
            _ = try GatewayConfig.load(path: Self.example, environment: ["SCIM_GATEWAY_SERVER_PORT": "eighty"])
        }
        var config = GatewayConfig()
        config.clients = [.init(name: "x", tokenHash: "md5:abc")]
        #expect(throws: ConfigError.self) { _ = try config.bearerClients() }
        config.ldap.bindDN = nil
        #expect(throws: ConfigError.self) { _ = try config.ldapConfiguration() }
    }

    @Test func mappingSelectionIsParsedAtLoadAndBadFiltersRefused() throws {
        let bundled = GatewayHarness.repository.appendingPathComponent("Config/mapping/bundled.yaml")
        let mapping = try Mapping.load(bundled, suffix: "dc=example,dc=org")
        #expect(mapping.resourceTypes["User"]?.selection.map(\.description) == ["(objectClass=inetOrgPerson)"])
        let text = try String(contentsOf: bundled, encoding: .utf8)
            .replacingOccurrences(of: "filter: (objectClass=inetOrgPerson)", with: "filter: (|(objectClass=a)(objectClass=b))")
        #expect(throws: MappingError.self) { _ = try Mapping.parse(text, suffix: "dc=example,dc=org") }
    }
}
