import ArgumentParser
import Crypto
import Foundation
import Logging
import SCIMServer
import SlapdHarness

/// `scim-gateway`: serve SCIM over an LDAP directory.
public struct GatewayCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "scim-gateway",
        abstract: "A SCIM 2.0 service provider over an LDAP directory.",
        subcommands: [Serve.self, Demo.self, HashToken.self])

    public init() {}
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway with a config file (production).")

    @Option(name: .shortAndLong, help: "Path of the YAML config file.")
    var config: String = "/etc/scim-gateway/scim-gateway.yaml"

    func run() async throws {
        let (config, directory) = try GatewayConfig.load(path: config)
        let logger = Logging.makeLogger(level: config.logLevel)
        let app = try GatewayApplication.build(config: config, configDirectory: directory, logger: logger)
        logger.info("scim-gateway listening", metadata: ["url": "\(config.publicBaseURL)",
                                                         "ldap": "\(config.ldap.uris.joined(separator: " "))"])
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

enum Logging {
    static func makeLogger(level: String) -> Logger {
        var logger = Logger(label: "scim-gateway")
        logger.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
        return logger
    }
}
