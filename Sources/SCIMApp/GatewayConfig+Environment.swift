import Configuration
import Foundation

/// The environment layer over the YAML file, read through apple/swift-configuration: a key is its YAML path
/// (`ldap.bindDN`), and its variable is `SCIM_GATEWAY_` plus that path in upper snake case
/// (`SCIM_GATEWAY_LDAP_BIND_DN`, the library's `EnvironmentVariablesProvider` naming). `<NAME>_FILE` reads the
/// value from a file instead (a container secret) and wins over `<NAME>`; passwords, tokens, client lists and every
/// `_FILE` path are secrets to the library, so its access log (`CONFIG_ACCESS_LOG_FILE`) redacts them (a file's
/// content is read here, never through the library). The file keeps what
/// the environment cannot say (lists of clients with their JWT and access settings, provisioning targets).
extension GatewayConfig {
    /// Applies every `SCIM_GATEWAY_*` override in `environment`; a value that does not parse is a `ConfigError`
    /// naming its variable.
    public mutating func applyEnvironment(_ environment: [String: String]) throws {
        let overrides = EnvironmentOverrides(environment)
        try overrides.string("server.host") { server.host = $0 }
        try overrides.int("server.port") { server.port = $0 }
        try overrides.string("server.basePath") { server.basePath = $0 }
        try overrides.string("server.publicBaseURL") { server.publicBaseURL = $0 }
        try overrides.int("server.maxBodyBytes") { server.maxBodyBytes = $0 }
        try overrides.double("server.drainTimeoutSeconds") { server.drainTimeoutSeconds = $0 }
        // Space- or comma-separated, as a shell line or a compose file writes a list.
        try overrides.string("ldap.uris") { ldap.uris = $0.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
        try overrides.string("ldap.suffix") { ldap.suffix = $0 }
        try overrides.string("ldap.bindMethod") { ldap.bindMethod = $0 }
        try overrides.string("ldap.bindDN") { ldap.bindDN = $0 }
        try overrides.string("ldap.bindPassword", secret: true) { ldap.bindPassword = $0 }
        try overrides.bool("ldap.startTLS") { ldap.startTLS = $0 }
        try overrides.string("ldap.caFile") { ldap.caFile = $0 }
        try overrides.string("ldap.requireCertificate") { ldap.requireCertificate = $0 }
        try overrides.int("ldap.poolSize") { ldap.poolSize = $0 }
        try overrides.string("ldap.passwordWrite") { ldap.passwordWrite = $0 }
        try overrides.bool("ldap.readYourWrites") { ldap.readYourWrites = $0 }
        try overrides.string("mapping") { mapping = $0 }
        try overrides.string("schemaDirectory") { schemaDirectory = $0 }
        try overrides.string("logLevel") { logLevel = $0 }
        try overrides.string("logFormat") { logFormat = $0 }
        try overrides.bool("metrics.enabled") { metrics.enabled = $0 }
        try overrides.string("metrics.host") { metrics.host = $0 }
        try overrides.int("metrics.port") { metrics.port = $0 }
        try overrides.string("metrics.token", secret: true) { metrics.token = $0 }
        // name=sha256:hex, comma-separated; replaces the file's list.
        try overrides.string("clients", secret: true) { text in
            clients = try text.split(separator: ",").map { item in
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
}

/// One read of the environment: typed lookups of a key, its `_FILE` variant first.
struct EnvironmentOverrides {
    static let prefix = "SCIM_GATEWAY_"
    private let reader: ConfigReader

    init(_ environment: [String: String]) {
        let provider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .dynamic { name, _ in
                name.hasSuffix("PASSWORD") || name.hasSuffix("TOKEN") || name.hasSuffix("_FILE") || name.hasSuffix("CLIENTS")
            })
        reader = ConfigReader(provider: provider).scoped(to: "scimGateway")
    }

    /// The variable a key is read from (for messages; the library derives the same name).
    static func variable(_ key: String) -> String {
        var name = ""
        var previous: Character?
        for character in key {
            if character == "." {
                name += "_"
            } else {
                if let previous, previous.isLowercase, character.isUppercase { name += "_" }
                name += character.uppercased()
            }
            previous = character
        }
        return prefix + name
    }

    /// The path in `key`'s `_FILE` variable, if set. `_file` keeps the suffix its own word whatever the key ends
    /// with (`bindDN` + `_file` is `BIND_DN_FILE`; `bindDN` + `File` would be `BIND_DNFILE`).
    private func file(_ key: String) -> String? { reader.string(forKey: ConfigKey(key + "_file"), isSecret: true) }

    /// A value read from a secret file.
    private func fileText(_ key: String, _ path: String) throws -> String {
        do {
            return try GatewayConfig.readSecret(path)
        } catch {
            throw ConfigError("\(Self.variable(key))_FILE: cannot read \(path)")
        }
    }

    func string(_ key: String, secret: Bool = false, _ apply: (String) throws -> Void) throws {
        if let path = file(key) {
            try apply(try fileText(key, path))
        } else if let value = reader.string(forKey: ConfigKey(key), isSecret: secret) {
            try apply(value)
        }
    }

    func int(_ key: String, _ apply: (Int) -> Void) throws {
        try typed(key, "an integer", { try reader.requiredInt(forKey: $0) }, { Int($0) }, apply)
    }

    func double(_ key: String, _ apply: (Double) -> Void) throws {
        try typed(key, "a number", { try reader.requiredDouble(forKey: $0) }, { Double($0) }, apply)
    }

    /// true/false, yes/no, 1/0 in any case (the library's reading); anything else is refused.
    func bool(_ key: String, _ apply: (Bool) -> Void) throws {
        try typed(
            key, "true or false", { try reader.requiredBool(forKey: $0) },
            { text in
                switch text.lowercased() {
                case "true", "yes", "1": true
                case "false", "no", "0": false
                default: nil
                }
            }, apply)
    }

    /// A typed value: the library parses a variable; a file's text is parsed by `parse`, with the same rules.
    private func typed<T>(
        _ key: String, _ what: String, _ library: (ConfigKey) throws -> T, _ parse: (String) -> T?, _ apply: (T) -> Void
    ) throws {
        if let path = file(key) {
            let text = try fileText(key, path)
            guard let value = parse(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigError("\(Self.variable(key))_FILE must hold \(what)")
            }
            apply(value)
        } else if let text = reader.string(forKey: ConfigKey(key)) {
            do {
                apply(try library(ConfigKey(key)))
            } catch {
                throw ConfigError("\(Self.variable(key)) must be \(what), not \"\(text)\"")
            }
        }
    }
}
