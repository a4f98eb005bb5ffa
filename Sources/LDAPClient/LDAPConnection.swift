import Dispatch
import Foundation
import Synchronization

/// One authenticated connection, used by one caller at a time (the pool leases it out whole).
///
/// Requests are sent from the caller's thread and their replies collected by `LDAPReactor`, so a request costs no
/// thread of its own. The few calls that block inside libldap until the server answers (connect and bind, Who Am I,
/// transaction start and end) run on the connection's own serial dispatch queue, outside Swift's cooperative pool
/// and any NIO event loop.
public final class LDAPConnection: @unchecked Sendable {
    // @unchecked: `handle` is used by one operation at a time: the lease is exclusive and each operation finishes
    // before the next starts; blocking calls run on `queue`.
    let handle: LDAPHandle
    private let queue: DispatchQueue
    private let metrics: LDAPMetrics
    /// Set when an operation failed in a way that makes the connection unusable; the pool then drops it.
    private let brokenFlag = LockedFlag()

    /// Connects and binds, blocking a thread of `queue` (not the caller's).
    ///
    /// libldap tries the URIs in order but gives up at the first server that takes the TCP connection and then
    /// drops it (one being killed at that moment, or one that accepts and closes): with several URIs, a connection
    /// failure is tried once more with that first URI last, so one dying server does not fail the connect while
    /// another serves.
    public static func connect(_ configuration: LDAPConfiguration, label: String = "ldap") async throws(LDAPError)
        -> LDAPConnection
    {
        do {
            return try await connectOnce(configuration, label: label)
        } catch let error where error.code.isConnectionFailure && configuration.uris.count > 1 {
            var rotated = configuration
            rotated.uris = Array(configuration.uris.dropFirst()) + [configuration.uris[0]]
            return try await connectOnce(rotated, label: label)
        }
    }

    private static func connectOnce(_ configuration: LDAPConfiguration, label: String) async throws(LDAPError)
        -> LDAPConnection
    {
        let queue = DispatchQueue(label: "scim-gateway.\(label)")
        let start = ContinuousClock.now
        do {
            let handle: LDAPHandle = try await run(on: queue) { () throws(LDAPError) in
                try LDAPHandle(configuration: configuration)
            }
            configuration.metrics.record(.bind, .success, since: start)
            return LDAPConnection(handle: handle, queue: queue, metrics: configuration.metrics)
        } catch {
            configuration.metrics.record(.bind, error.code, since: start)
            throw error
        }
    }

    private init(handle: LDAPHandle, queue: DispatchQueue, metrics: LDAPMetrics) {
        self.handle = handle
        self.queue = queue
        self.metrics = metrics
    }

    private let retiredFlag = LockedFlag()
    private let writeCounter = LockedCounter()
    /// The identity of the current lease (`LDAPPool.acting(as:)`); nil outside a lease and for the bound identity.
    private let leaseIdentity = Mutex<String?>(nil)

    /// Set by the pool when it lends the connection and cleared when it comes back.
    func lend(to authorizationID: String?) { leaseIdentity.withLock { $0 = authorizationID } }

    /// The identity operations on this connection run as now (nil: the bound one).
    public var authorizationID: String? { leaseIdentity.withLock { $0 } }

    /// `controls` plus Proxied Authorization for the lease's identity, unless they carry one already.
    private func proxied(_ controls: [LDAPRequestControl]) -> [LDAPRequestControl] {
        guard let id = authorizationID else { return controls }
        for control in controls {
            if case .proxiedAuthorization = control { return controls }
        }
        return controls + [.proxiedAuthorization(authzID: id)]
    }

    /// Write requests (add, modify, delete, modrdn, extended) sent on this connection so far, answered or not: the
    /// pool's read barrier notes the provider's state after a lease that wrote.
    public var writesSent: Int { writeCounter.value }

    /// The connection failed (server gone, timeout): the pool drops it and its idle siblings.
    public var isBroken: Bool { brokenFlag.value }

    /// The connection is healthy but must not be reused (see `retire()`).
    public var isRetired: Bool { retiredFlag.value }

    func markBroken() { brokenFlag.set() }

    /// Asks the pool to close this connection instead of reusing it: for connection state the server keeps until
    /// the connection closes, such as slapd's sort/VLV contexts (a second sorted search on the same connection
    /// would answer 51 busy).
    public func retire() { retiredFlag.set() }

    private static func run<T>(on queue: DispatchQueue, _ body: @escaping @Sendable () throws(LDAPError) -> T)
        async throws(LDAPError) -> T
    {
        let result: Result<T, LDAPError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(LDAPError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func perform<T>(_ kind: LDAPOperationKind, _ body: @escaping @Sendable (LDAPHandle) throws(LDAPError) -> T)
        async throws(LDAPError) -> T
    {
        let handle = self.handle
        let start = ContinuousClock.now
        if kind.isWrite { writeCounter.increment() }
        do {
            let value = try await Self.run(on: queue) { () throws(LDAPError) in try body(handle) }
            metrics.record(kind, .success, since: start)
            return value
        } catch {
            metrics.record(kind, error.code, since: start)
            if error.code.isConnectionFailure { brokenFlag.set() }
            throw error
        }
    }

    /// Sends a request on the caller's thread, waits for its reply through the reactor, and reads it.
    /// Every request and its reply pass here: the one place operations are counted and timed.
    private func exchange<T>(
        _ kind: LDAPOperationKind, _ send: (LDAPHandle) throws(LDAPError) -> Int32,
        _ read: (LDAPHandle, OpaquePointer) throws(LDAPError) -> T
    ) async throws(LDAPError) -> T {
        let handle = self.handle
        let start = ContinuousClock.now
        if kind.isWrite { writeCounter.increment() }
        do {
            let msgid = try send(handle)
            let message = try await LDAPReactor.shared.reply(to: msgid, on: handle).get().pointer
            defer { handle.free(message) }
            let value = try read(handle, message)
            metrics.record(kind, .success, since: start)
            return value
        } catch {
            metrics.record(kind, error.code, since: start)
            if error.code.isConnectionFailure { brokenFlag.set() }
            throw error
        }
    }

    // MARK: Operations

    public func search(
        base: String, scope: LDAPScope = .subtree, filter: LDAPFilter = .present("objectClass"),
        attributes: [String] = [], sizeLimit: Int = 0,
        controls: [LDAPRequestControl] = []
    ) async throws(LDAPError) -> LDAPSearchResult {
        // No time limit of its own: slapd is given the operation timeout as the time limit.
        let controls = proxied(controls)
        return try await exchange(
            .search,
            { handle throws(LDAPError) in
                try handle.sendSearch(
                    base: base, scope: scope, filter: filter, attributes: attributes, sizeLimit: sizeLimit,
                    controls: controls)
            }, { handle, message throws(LDAPError) in try handle.readSearch(message) })
    }

    /// Adds an entry; `attributes` lists each attribute description with its values.
    public func add(dn: String, attributes: [(String, [[UInt8]])], controls: [LDAPRequestControl] = [])
        async throws(LDAPError) -> LDAPWriteResult
    {
        let controls = proxied(controls)
        return try await exchange(
            .add,
            { handle throws(LDAPError) in
                try handle.sendAdd(dn: dn, attributes: attributes, controls: controls)
            }, { handle, message throws(LDAPError) in try handle.readWrite(message) })
    }

    public func modify(dn: String, _ modifications: [LDAPModification], controls: [LDAPRequestControl] = [])
        async throws(LDAPError) -> LDAPWriteResult
    {
        let controls = proxied(controls)
        return try await exchange(
            .modify,
            { handle throws(LDAPError) in
                try handle.sendModify(dn: dn, modifications: modifications, controls: controls)
            }, { handle, message throws(LDAPError) in try handle.readWrite(message) })
    }

    /// Modify DN: a new RDN (`uid=new`), whether the old RDN value is removed, and an optional new parent.
    public func rename(
        dn: String, newRDN: String, deleteOldRDN: Bool = true, newSuperior: String? = nil,
        controls: [LDAPRequestControl] = []
    ) async throws(LDAPError) -> LDAPWriteResult {
        let controls = proxied(controls)
        return try await exchange(
            .modrdn,
            { handle throws(LDAPError) in
                try handle.sendRename(
                    dn: dn, newRDN: newRDN, deleteOldRDN: deleteOldRDN, newSuperior: newSuperior,
                    controls: controls)
            }, { handle, message throws(LDAPError) in try handle.readWrite(message) })
    }

    public func delete(dn: String, controls: [LDAPRequestControl] = []) async throws(LDAPError) -> LDAPWriteResult {
        let controls = proxied(controls)
        return try await exchange(
            .delete, { handle throws(LDAPError) in try handle.sendDelete(dn: dn, controls: controls) },
            { handle, message throws(LDAPError) in try handle.readWrite(message) })
    }

    public func compare(dn: String, attribute: String, value: [UInt8], controls: [LDAPRequestControl] = [])
        async throws(LDAPError) -> Bool
    {
        let controls = proxied(controls)
        return try await exchange(
            .compare,
            { handle throws(LDAPError) in
                try handle.sendCompare(dn: dn, attribute: attribute, value: value, controls: controls)
            }, { handle, message throws(LDAPError) in try handle.readCompare(message) })
    }

    /// Password Modify (RFC 3062). `user` nil changes the bound identity's own password; `newPassword` nil asks
    /// the server to generate one, which is returned. Runs as the lease's identity like every other operation.
    @discardableResult
    public func passwordModify(
        user: String?, oldPassword: LDAPSecret? = nil, newPassword: LDAPSecret?,
        controls: [LDAPRequestControl] = []
    ) async throws(LDAPError) -> LDAPSecret? {
        let controls = proxied(controls)
        return try await exchange(
            .extended,
            { handle throws(LDAPError) in
                try handle.sendPasswordModify(
                    user: user, oldPassword: oldPassword, newPassword: newPassword,
                    controls: controls)
            }, { handle, message throws(LDAPError) in try handle.readPasswordModify(message) })
    }

    /// Who Am I? (RFC 4532): the identity the lease's operations run as.
    public func whoAmI(controls: [LDAPRequestControl] = []) async throws(LDAPError) -> String {
        let controls = proxied(controls)
        return try await perform(.extended) { handle throws(LDAPError) in try handle.whoAmI(controls: controls) }
    }

    /// Re-authenticates this connection.
    public func bind(_ bind: LDAPConfiguration.Bind) async throws(LDAPError) {
        try await perform(.bind) { handle throws(LDAPError) in try handle.bind(bind) }
    }

    /// Runs `body` inside an LDAP transaction (RFC 5805): the operations it sends carry the transaction
    /// specification control and are applied together on commit, or not at all.
    public func withTransaction<T: Sendable>(_ body: (LDAPTransaction) async throws -> T) async throws -> T {
        let identifier = try await perform(.extended) { handle throws(LDAPError) in try handle.startTransaction() }
        let transaction = LDAPTransaction(connection: self, identifier: identifier)
        let value: T
        do {
            value = try await body(transaction)
        } catch {
            do {
                try await perform(.extended) { handle throws(LDAPError) in try handle.endTransaction(identifier, commit: false) }
            } catch {
                brokenFlag.set()
            }
            // slapd 2.5 sometimes closes a connection after an aborted transaction: never reuse one.
            retire()
            throw error
        }
        do {
            try await perform(.extended) { handle throws(LDAPError) in try handle.endTransaction(identifier, commit: true) }
        } catch {
            // slapd 2.5 leaves a connection whose transaction failed unable to run further updates: replace it.
            brokenFlag.set()
            throw error
        }
        return value
    }
}

/// Operations queued in an open transaction.
public struct LDAPTransaction: Sendable {
    let connection: LDAPConnection
    let identifier: [UInt8]

    private var control: LDAPRequestControl {
        .raw(oid: LDAPControlOID.transactionSpecification, value: identifier, critical: true)
    }

    public func add(dn: String, attributes: [(String, [[UInt8]])]) async throws(LDAPError) {
        _ = try await connection.add(dn: dn, attributes: attributes, controls: [control])
    }

    public func modify(dn: String, _ modifications: [LDAPModification]) async throws(LDAPError) {
        _ = try await connection.modify(dn: dn, modifications, controls: [control])
    }

    public func rename(dn: String, newRDN: String, deleteOldRDN: Bool = true, newSuperior: String? = nil)
        async throws(LDAPError)
    {
        _ = try await connection.rename(
            dn: dn, newRDN: newRDN, deleteOldRDN: deleteOldRDN, newSuperior: newSuperior,
            controls: [control])
    }

    public func delete(dn: String) async throws(LDAPError) {
        _ = try await connection.delete(dn: dn, controls: [control])
    }
}

/// A thread-safe boolean that only goes from false to true.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

extension LDAPOperationKind {
    /// Changes the directory (extended: Password Modify, transactions).
    var isWrite: Bool {
        switch self {
        case .add, .modify, .delete, .modrdn, .extended: true
        case .search, .compare, .bind: false
        }
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    var value: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}
