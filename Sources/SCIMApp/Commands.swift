import ArgumentParser
import Crypto
import Foundation
import Logging
import SCIMLDAP
import SCIMServer
import SlapdLauncher

/// `scim-gateway`: serve SCIM over an LDAP directory.
public struct GatewayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "scim-gateway",
        abstract: "A SCIM 2.0 service provider over an LDAP directory.",
        subcommands: [Serve.self, Demo.self, Provision.self, HashToken.self, ReadAttributes.self])

    public init() {}
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway with a config file (production).")

    @Option(name: .shortAndLong, help: "Path of the YAML config file.")
    var config: String = "/etc/scim-gateway/scim-gateway.yaml"

    func run() async throws {
        let (config, directory) = try GatewayConfig.load(path: config)
        let logger = try config.logFormatSetting().makeLogger(level: config.logLevel)
        let app = try GatewayApplication.build(config: config, configDirectory: directory, logger: logger)
        logger.info(
            "scim-gateway listening",
            metadata: [
                "url": "\(config.publicBaseURL)",
                "ldap": "\(config.ldap.uris.joined(separator: " "))",
            ])
        try await app.run()
    }
}

struct HashToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-token", abstract: "Print the sha256: hash of a bearer token read from standard input.")

    func run() throws {
        guard let token = readLine(strippingNewline: true), !token.isEmpty else {
            throw ValidationError("pipe the token on standard input")
        }
        print(BearerClient.hashString(of: token))
    }
}

struct ReadAttributes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-attributes",
        abstract: "List the LDAP attributes the gateway reads for each resource type of a mapping file.",
        discussion: "The service account needs read access to these (it never reads passwords). With --type, prints "
            + "just that type's list, comma-separated. A type with `read: all` asks for `*` plus the operational "
            + "attributes among these instead of naming each one.")

    @Option(help: "Path of the YAML mapping file.")
    var mapping: String = "/etc/scim-gateway/mapping.yaml"

    @Option(help: "Only this resource type (User, Group, ...).")
    var type: String?

    func run() throws {
        let loaded = try Mapping.load(URL(fileURLWithPath: mapping), suffix: "dc=example,dc=org")
        if let type {
            guard let resource = loaded.resourceTypes[type] else {
                throw ValidationError("no resource type \(type) in \(mapping) (has \(loaded.resourceTypes.keys.sorted()))")
            }
            print(resource.readAttributes.joined(separator: ","))
            return
        }
        for (name, resource) in loaded.resourceTypes.sorted(by: { $0.key < $1.key }) {
            print("\(name): \(resource.readAttributes.joined(separator: " "))")
        }
    }
}
