/// A secret string (password) that never prints itself.
public struct LDAPSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// How a connection is made and authenticated.
///
/// Keys (as used by the gateway's config file under `ldap:`): `uris`, `bind.method`, `bind.dn`, `bind.password`,
/// `tls.startTLS`, `tls.caFile`, `tls.certFile`, `tls.keyFile`, `tls.requireCertificate`, `networkTimeout`,
/// `operationTimeout`, `poolSize`.
public struct LDAPConfiguration: Sendable {
    public enum Bind: Sendable {
        case anonymous
        /// Simple bind; the password is never logged.
        case simple(dn: String, password: LDAPSecret)
        /// SASL EXTERNAL: the identity of an ldapi:// peer or of a TLS client certificate.
        case saslExternal
    }

    /// libldap's `LDAP_OPT_X_TLS_REQUIRE_CERT` levels.
    public enum CertificateCheck: Int32, Sendable {
        case never = 0
        case hard = 1
        case demand = 2
        case allow = 3
        case tryCheck = 4
    }

    public struct TLS: Sendable {
        /// Upgrade ldap:// connections with StartTLS (ignored for ldaps:// and ldapi://).
        public var startTLS: Bool
        public var caFile: String?
        /// Client certificate and key, for SASL EXTERNAL over TLS.
        public var certFile: String?
        public var keyFile: String?
        public var requireCertificate: CertificateCheck

        public init(
            startTLS: Bool = false, caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
            requireCertificate: CertificateCheck = .demand
        ) {
            self.startTLS = startTLS
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.requireCertificate = requireCertificate
        }
    }

    /// One or more URIs (`ldap://`, `ldaps://`, `ldapi://`), tried in order: the next one is used when a server
    /// cannot be reached.
    public var uris: [String]
    public var bind: Bind
    public var tls: TLS
    /// Bound on establishing a TCP/TLS connection.
    public var networkTimeout: Duration
    /// Bound on any one operation, from request to final result.
    public var operationTimeout: Duration
    /// Number of connections in the pool.
    public var poolSize: Int
    /// Wait before the first reconnection attempt after the directory became unreachable; doubles up to 8×.
    public var reconnectBackoff: Duration
    /// Attribute types whose values these connections never copy out of a reply (lower case, no options): the
    /// gateway names password attributes here, so a read of `*` cannot bring a hash into its memory.
    public var neverRead: Set<String> = []
    /// Where operation counts, latencies and pool occupancy are recorded (nothing by default).
    public var metrics: LDAPMetrics = .disabled

    /// Read-your-writes over several replicated providers (see `ReplicaBarrier`): before a pooled connection is
    /// used, its provider must hold every change any reachable provider holds, waiting at most `timeout`.
    public struct ReadBarrier: Sendable {
        /// The replicated suffix, whose entry carries `contextCSN`.
        public var base: String
        public var timeout: Duration
        public init(base: String, timeout: Duration = .seconds(2)) {
            self.base = base
            self.timeout = timeout
        }
    }
    /// Used only with more than one URI; nil: none.
    public var readBarrier: ReadBarrier?

    public init(
        uris: [String], bind: Bind = .anonymous, tls: TLS = TLS(), networkTimeout: Duration = .seconds(3),
        operationTimeout: Duration = .seconds(30), poolSize: Int = 8,
        reconnectBackoff: Duration = .milliseconds(500)
    ) {
        self.uris = uris
        self.bind = bind
        self.tls = tls
        self.networkTimeout = networkTimeout
        self.operationTimeout = operationTimeout
        self.poolSize = max(1, poolSize)
        self.reconnectBackoff = reconnectBackoff
    }
}

/// Search scope (RFC 4511 §4.5.1.2, plus `children` from draft-sermersheim-ldap-subordinate-scope).
public enum LDAPScope: Int32, Sendable {
    case base = 0
    case oneLevel = 1
    case subtree = 2
    case children = 3
}

/// One change of a modify operation. Values are bytes.
public struct LDAPModification: Sendable, Hashable {
    public enum Operation: Int32, Sendable {
        case add = 0
        case delete = 1
        case replace = 2
        case increment = 3
    }

    public var operation: Operation
    public var attribute: String
    public var values: [[UInt8]]

    public init(_ operation: Operation, _ attribute: String, _ values: [[UInt8]]) {
        self.operation = operation
        self.attribute = attribute
        self.values = values
    }

    public static func add(_ attribute: String, _ values: [String]) -> Self {
        Self(.add, attribute, values.map { Array($0.utf8) })
    }
    public static func delete(_ attribute: String, _ values: [String] = []) -> Self {
        Self(.delete, attribute, values.map { Array($0.utf8) })
    }
    public static func replace(_ attribute: String, _ values: [String]) -> Self {
        Self(.replace, attribute, values.map { Array($0.utf8) })
    }
}

/// What a search returns.
public struct LDAPSearchResult: Sendable {
    public var entries: [LDAPEntry]
    public var referrals: [String]
    public var controls: LDAPResponseControls
    /// The server stopped at the size limit the request asked for (result 4); `entries` holds what came.
    public var sizeLimitExceeded: Bool
}

/// What a write returns: the response controls (Pre-/Post-Read, password policy).
public struct LDAPWriteResult: Sendable {
    public var controls: LDAPResponseControls
}
