import Foundation
import Hummingbird
import Logging
import NIOCore
import OrderedCollections
import SCIMCore

/// Request context: Hummingbird's core storage plus the request id and the authenticated principal.
public struct SCIMRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `SCIMErrorMiddleware`; echoed in `X-Request-ID` and in every log line of the request.
    public var requestID: String = ""
    /// The authenticated client (or `user:<userName>` for a user credential on /Me).
    public var clientName: String?
    /// The client's compatibility switch (see `BearerClient.strictNoTarget`).
    public var strictNoTarget = false
    /// What the principal may do.
    public var policy: AccessPolicy = .unrestricted
    /// Set for user-bound credentials (JWT subject or HTTP Basic): the SCIM id of the user's own resource, if any.
    public var actingUserID: String?
    /// True when the principal is an end user (only /Me and discovery).
    public var isUser = false
    /// Where the authenticated principal's metrics label goes (set by `HTTPMetricsMiddleware`).
    public var principalLabel: PrincipalLabel?

    /// Who the request acts for in the store: the client (none for an end user) and the acting user.
    public var scope: RequestScope {
        RequestScope(clientName: isUser ? nil : clientName, actingUserID: actingUserID)
    }

    /// What each store call of this request is given: its logger (request id, client) and its scope.
    public var storeContext: StoreContext { StoreContext(logger: logger, scope: scope) }

    /// The connection's event loop (see `EventLoopAffinityMiddleware`).
    public let eventLoop: (any EventLoop)?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.eventLoop = source.channel.eventLoop
    }

    /// Request bodies above this size are refused with 413 before being read.
    public var maxUploadSize: Int { 1 << 20 }
}
