public import Logging

/// What every storage call is given by its caller, explicitly (as postgres-nio's queries take a `logger:` and
/// Hummingbird's handlers a request context): the logger of the work being done — for a request, one whose
/// metadata names the request (`request.id`) and the client — and the `RequestScope` the store honours.
///
/// The HTTP layer makes one per request (`SCIMRequestContext.storeContext`); the gateway's own work (start-up
/// checks, provisioning, user look-ups for authentication) passes its logger with `RequestScope.unrestricted`.
public struct StoreContext: Sendable {
    /// Every line the store logs for this call goes here.
    public var logger: Logger
    /// Who the call acts for.
    public var scope: RequestScope

    public init(logger: Logger, scope: RequestScope = .unrestricted) {
        self.logger = logger
        self.scope = scope
    }
}
