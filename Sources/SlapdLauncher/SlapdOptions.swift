import Foundation

/// How to build a throwaway slapd.
public struct SlapdOptions: Sendable {
    public enum ConfigStyle: Sendable {
        /// cn=config from `schema/ldap/cn-config.ldif.in` (slapadd -n0), the way current Debian installs run.
        case cnConfig
        /// `schema/ldap/slapd.conf.in` with `slapd -f`, the legacy style.
        case slapdConf
    }

    /// TCP port on 127.0.0.1; 0 picks a free one.
    public var port: Int
    /// Directory for config, data and the ldapi socket; nil makes a temporary one, removed on stop.
    public var dataDirectory: URL?
    public var suffix: String
    public var adminPassword: String
    public var servicePassword: String
    public var configStyle: ConfigStyle
    /// `size.unchecked` for the service account: unindexed searches over more candidates answer result 11.
    public var uncheckedLimit: Int
    /// Skip fsync (tests and demos: about 5× faster writes, unsafe on crash).
    public var noSync: Bool
    /// Extra LDIF loaded with slapadd before start (bypasses overlays: no cleartext passwords here).
    public var offlineLDIF: String
    /// Writes more LDIF for slapadd straight into its file, after `offlineLDIF`: sample data of any size without
    /// holding it in memory (the demo's 1,000,000 users are about 450 MB of LDIF).
    public var offlineLDIFWriter: (@Sendable (FileHandle) throws -> Void)?
    /// Extra LDIF added online as the rootDN after start, so overlays (memberof, ppolicy hashing) see it.
    public var onlineLDIF: String
    /// How long to wait for readiness.
    public var startTimeout: Duration
    /// Also listen on ldaps:// and offer StartTLS, with a throwaway self-signed certificate for 127.0.0.1
    /// (`SlapdInstance.caFile`). Needs the openssl command.
    public var tls: Bool
    /// A directory the gateway did not set up (standard schemas, chosen overlays, default limits) instead of the
    /// bundled configuration; `configStyle` is then ignored (cn=config).
    public var plain: PlainDirectory?

    public init(
        port: Int = 0, dataDirectory: URL? = nil, suffix: String = "dc=example,dc=org",
        adminPassword: String = SlapdOptions.randomPassword(), servicePassword: String = SlapdOptions.randomPassword(),
        configStyle: ConfigStyle = .cnConfig, uncheckedLimit: Int = 1_000_000, noSync: Bool = true,
        offlineLDIF: String = "", onlineLDIF: String = "", startTimeout: Duration = .seconds(30),
        tls: Bool = false, plain: PlainDirectory? = nil
    ) {
        self.port = port
        self.dataDirectory = dataDirectory
        self.suffix = suffix
        self.adminPassword = adminPassword
        self.servicePassword = servicePassword
        self.configStyle = configStyle
        self.uncheckedLimit = uncheckedLimit
        self.noSync = noSync
        self.offlineLDIF = offlineLDIF
        self.onlineLDIF = onlineLDIF
        self.startTimeout = startTimeout
        self.tls = tls
        self.plain = plain
    }

    /// 24 random characters from an unambiguous alphabet.
    public static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}

public struct SlapdError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
