import Logging

/// The connections to the directory, and the identity operations on them run as.
///
/// A value is cheap: `acting(as:)` gives a view of the same connections whose every search, add, modify, rename,
/// delete, compare and password modify carries Proxied Authorization (RFC 4370) for that identity, so the
/// directory applies its ACLs and password policy to it instead of the bound service account. Operations that
/// already carry the control keep theirs. The identity travels with the value, never in a task-local: code that
/// must run as the service account whatever the request acts as takes `asBoundIdentity`.
public struct LDAPPool: Sendable {
    let connections: ConnectionPool
    /// The identity (`dn:…` or `u:…`) operations run as; nil for the bound identity.
    public let authorizationID: String?

    public init(configuration: LDAPConfiguration, logger: Logger = Logger(label: "ldap.pool")) {
        connections = ConnectionPool(configuration: configuration, logger: logger)
        authorizationID = nil
    }

    private init(connections: ConnectionPool, authorizationID: String?) {
        self.connections = connections
        self.authorizationID = authorizationID
    }

    /// The same connections, with every operation run as `authorizationID` (nil: the bound identity).
    public func acting(as authorizationID: String?) -> LDAPPool {
        LDAPPool(connections: connections, authorizationID: authorizationID)
    }

    /// The same connections as the bound service account.
    public var asBoundIdentity: LDAPPool { acting(as: nil) }

    public var configuration: LDAPConfiguration { connections.configuration }

    /// True while the pool treats the directory as unreachable.
    public var isDown: Bool { connections.isDown }

    /// Lends a connection for several operations that must share it (transactions, sort/VLV contexts).
    /// The connection returns to the pool afterwards, or is dropped if it broke.
    /// With a read barrier (several replicated providers), the connection's provider first catches up with the
    /// newest state of every reachable provider.
    public func withConnection<T>(_ body: (LDAPConnection) async throws -> T) async throws -> T {
        try await connections.withConnection(as: authorizationID, body)
    }

    /// Runs a read; if the connection turns out to be dead, retries on another one, at most twice: after a server
    /// died, a second pooled connection to it (leased by another caller when the first failure dropped the idle
    /// ones) can fail the same way, and each failed attempt costs only the round trip to a closed socket.
    public func read<T>(_ body: (LDAPConnection) async throws -> T) async throws -> T {
        try await connections.read(as: authorizationID, body)
    }

    public func search(
        base: String, scope: LDAPScope = .subtree, filter: LDAPFilter = .present("objectClass"),
        attributes: [String] = [], sizeLimit: Int = 0, controls: [LDAPRequestControl] = []
    )
        async throws -> LDAPSearchResult
    {
        try await read { connection in
            try await connection.search(
                base: base, scope: scope, filter: filter, attributes: attributes,
                sizeLimit: sizeLimit, controls: controls)
        }
    }

    /// Checks that the directory answers: a base search of the root DSE on a pooled connection.
    public func ping() async throws {
        _ = try await search(base: "", scope: .base, filter: .present("objectClass"), attributes: ["1.1"])
    }

    /// Background maintenance: while the directory is down, tries to reconnect after each backoff interval.
    /// Returns when the task is cancelled.
    public func run() async { await connections.run() }

    /// Closes idle connections and fails waiting callers; leased connections close when returned.
    public func shutdown() { connections.shutdown() }
}
