import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import Logging
import NIOCore
import SCIMApp
import SCIMCore
import SlapdHarness
import Testing

/// A real slapd plus the gateway built exactly as `serve` builds it, binding as the service account.
struct GatewayHarness: @unchecked Sendable {  // test-only; the router is used from one test at a time
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardizedFileURL
    static let token = "integration-test-token"
    /// A second client with the strict-RFC compatibility switch.
    static let strictToken = "integration-test-strict-token"
    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/scim+json"]

    let slapd: SlapdInstance
    let gateway: GatewayApplication

    static func start(
        poolSize: Int = 4, options: SlapdOptions = SlapdOptions(),
        mapping: String = "Config/mapping/bundled.yaml", schema: URL? = nil,
        configure: (inout GatewayConfig) throws -> Void = { _ in }
    ) async throws -> GatewayHarness {
        let slapd = try await SlapdInstance.start(options, schemaDirectory: schema ?? repository.appendingPathComponent("schema"))
        var config = GatewayConfig()
        config.server.port = 0
        config.ldap.uris = [slapd.url]
        config.ldap.suffix = slapd.suffix
        config.ldap.bindDN = slapd.serviceDN
        config.ldap.bindPassword = slapd.options.servicePassword
        config.ldap.poolSize = poolSize
        config.ldap.networkTimeoutSeconds = 1
        config.mapping = mapping.hasPrefix("/") ? mapping : repository.appendingPathComponent(mapping).path
        config.schemaDirectory = repository.appendingPathComponent("schema").path
        config.server.publicBaseURL = "https://scim.example.test/scim/v2"
        config.clients = [
            .init(name: "tests", tokenHash: BearerClientHash.of(token)),
            .init(name: "strict", tokenHash: BearerClientHash.of(strictToken), strictNoTarget: true),
        ]
        try configure(&config)
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .critical : .debug
        let gateway = try GatewayApplication.build(config: config, configDirectory: repository, logger: logger)
        return GatewayHarness(slapd: slapd, gateway: gateway)
    }

    func application() -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Application(
            router: gateway.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logger)
    }

    func stop() {
        gateway.pool.shutdown()
        slapd.stop()
    }

    /// A connection as the service account, to check what the gateway wrote.
    func ldap() async throws -> LDAPConnection {
        try await LDAPConnection.connect(slapd.serviceConfiguration(poolSize: 1))
    }

    /// The stored password hash of the entry `filter` finds, read as the directory's admin: the service account
    /// may set passwords but never read them back (bundled ACL `=w`).
    func storedPassword(_ filter: LDAPFilter, base: String? = nil) async throws -> String? {
        let admin = try await LDAPConnection.connect(slapd.adminConfiguration())
        let found = try await admin.search(base: base ?? slapd.peopleDN, filter: filter, attributes: ["userPassword"])
        return found.entries.first?.string("userPassword")
    }
}

enum BearerClientHash {
    static func of(_ token: String) -> String {
        SCIMServerBridge.hash(token)
    }
}

extension TestResponse {
    var json: JSONValue? { try? JSONValue.parse(Data(body.readableBytesView), maxDepth: 64, maxBytes: 1 << 24) }
}

func jsonBody(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func userJSON(_ userName: String, extra: String = "") -> String {
    """
    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\(userName)"\(extra.isEmpty ? "" : ",\(extra)")}
    """
}

import SCIMServer

enum SCIMServerBridge {
    static func hash(_ token: String) -> String { BearerClient.hashString(of: token) }
}
