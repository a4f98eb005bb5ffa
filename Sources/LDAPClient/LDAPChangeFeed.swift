import Logging

/// The directory's change feed that survives the directory: it runs `contentSync` in refreshAndPersist mode on a
/// connection of its own (never a pooled one), remembers the last cookie, and after a dropped connection or a
/// slapd restart reconnects and resumes from that cookie. When the server refuses the cookie
/// (e-syncRefreshRequired, or a cookie it cannot read) it starts over without one: a full refresh, announced
/// by `.restarted(fullRefresh: true)` so the consumer can reconcile.
public struct LDAPChangeFeed: AsyncSequence, Sendable {
    public enum Element: Sendable, Equatable {
        case event(LDAPSyncEvent)
        /// A new stream began: after a reconnection (`fullRefresh` false: resumed from the cookie) or from
        /// nothing (`fullRefresh` true: every entry comes again, deletions are not reported).
        case restarted(fullRefresh: Bool)
    }

    public let configuration: LDAPConfiguration
    public let base: String
    public let scope: LDAPScope
    public let filter: LDAPFilter
    public let attributes: [String]
    public let cookie: [UInt8]?
    public let retryDelay: Duration
    let logger: Logger

    public init(
        configuration: LDAPConfiguration, base: String, scope: LDAPScope = .subtree,
        filter: LDAPFilter = .present("objectClass"), attributes: [String] = ["*", "+"], cookie: [UInt8]? = nil,
        retryDelay: Duration = .milliseconds(500), logger: Logger = Logger(label: "ldap.feed")
    ) {
        self.configuration = configuration
        self.base = base
        self.scope = scope
        self.filter = filter
        self.attributes = attributes
        self.cookie = cookie
        self.retryDelay = retryDelay
        self.logger = logger
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<Element, any Error>.AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
        let task = Task { await run(continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }

    /// A server's answer to a cookie it will not resume from.
    static func refusesCookie(_ error: LDAPError) -> Bool {
        error.code == .syncRefreshRequired || error.code == .protocolError
    }

    private func run(_ continuation: AsyncThrowingStream<Element, any Error>.Continuation) async {
        var cookie = self.cookie
        var first = true
        while !Task.isCancelled {
            let connection: LDAPConnection
            do {
                connection = try await LDAPConnection.connect(configuration, label: "ldap-feed")
            } catch {
                logger.warning("change feed: cannot connect, retrying", metadata: ["ldap.error": "\(error.logDescription)"])
                try? await Task.sleep(for: retryDelay)
                continue
            }
            if !first || cookie == nil { continuation.yield(.restarted(fullRefresh: cookie == nil)) }
            first = false
            do {
                let stream = connection.contentSync(
                    base: base, scope: scope, filter: filter, attributes: attributes,
                    mode: .refreshAndPersist, cookie: cookie)
                for try await event in stream {
                    if let next = Self.cookie(of: event) { cookie = next }
                    continuation.yield(.event(event))
                }
                // The server ended the persist phase (it should not): reconnect from the cookie.
            } catch let error as LDAPError where Self.refusesCookie(error) && cookie != nil {
                logger.warning("change feed: the directory refused the cookie; full refresh", metadata: ["ldap.error": "\(error.logDescription)"])
                cookie = nil
                continue
            } catch let error as LDAPError {
                logger.info("change feed interrupted, resuming", metadata: ["ldap.error": "\(error.logDescription)"])
            } catch {
                break  // cancelled
            }
            try? await Task.sleep(for: retryDelay)
        }
        continuation.finish()
    }

    static func cookie(of event: LDAPSyncEvent) -> [UInt8]? {
        switch event {
        case .entry(_, _, _, let cookie), .refreshDone(let cookie, _), .idSet(_, _, let cookie), .done(let cookie, _): cookie
        case .cookie(let cookie): cookie
        }
    }
}
