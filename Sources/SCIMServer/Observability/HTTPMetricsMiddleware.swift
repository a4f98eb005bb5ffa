import Hummingbird
import Synchronization

/// Counts and times every request, outermost of the gateway's middlewares (after event-loop affinity), so it sees
/// the status the error middleware rendered — 401, 404 and 429 included. The route label is Hummingbird's matched
/// route template (`/scim/v2/Users/{id}`), never the raw path; unmatched paths share the label `unmatched`.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = SCIMRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        var context = context
        let principal = PrincipalLabel()
        context.principalLabel = principal
        let status: Int
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            record(request, context, status: status, client: principal.value, since: start)
            return response
        } catch {
            status = (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500
            record(request, context, status: status, client: principal.value, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, client: String, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        metrics.recordRequest(
            method: request.method.rawValue, route: Self.route(context.endpointPath), status: status,
            client: client, nanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Hummingbird names unmatched requests `NotFound`; no raw path ever becomes a label.
    static func route(_ endpointPath: String?) -> String {
        guard let path = endpointPath, path.hasPrefix("/") else { return "unmatched" }
        return path
    }
}

/// The principal's label for metrics, written by `AuthenticationMiddleware` deeper in the chain and read by
/// `HTTPMetricsMiddleware` once the response exists (the context is a value, so it travels by reference).
public final class PrincipalLabel: Sendable {
    private let label = Mutex("none")

    var value: String { label.withLock { $0 } }

    func set(_ value: String) { label.withLock { $0 = value } }
}
