import CoreMetrics
import Synchronization

/// The HTTP side's instruments, made from the swift-metrics factory the application chose:
///
/// - `scim_gateway_http_requests_total{method, route, status, client}`
/// - `scim_gateway_http_request_duration_seconds{method, route}` (histogram)
/// - `scim_gateway_rate_limit_refusals_total{client}`
/// - `scim_gateway_bulk_requests_total`, `scim_gateway_bulk_operations_total{method, result}`
///
/// Every label is bounded: `route` is the matched route template (ids never appear; anything unmatched is
/// `unmatched`), `client` a configured client name, `me` for user credentials or `none`, `method` one of the
/// HTTP methods SCIM uses or `other`, `status` the three-digit code.
public final class ServerMetrics: Sendable {
    public static let requestsName = "scim_gateway_http_requests_total"
    public static let durationName = "scim_gateway_http_request_duration_seconds"

    /// Records nothing.
    public static let disabled = ServerMetrics(factory: NOOPMetricsHandler.instance)

    struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
        let client: String
    }

    struct DurationKey: Hashable {
        let method: String
        let route: String
    }

    private let factory: any MetricsFactory
    private let requests = Mutex<[RequestKey: Counter]>([:])
    private let durations = Mutex<[DurationKey: Timer]>([:])
    private let refusals = Mutex<[String: Counter]>([:])
    private let bulkOperations = Mutex<[String: Counter]>([:])
    let bulkRequests: Counter

    public init(factory: any MetricsFactory) {
        self.factory = factory
        bulkRequests = Counter(label: "scim_gateway_bulk_requests_total", factory: factory)
    }

    static let knownMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    static func methodLabel(_ method: String) -> String { knownMethods.contains(method) ? method : "other" }

    /// One answered request; `route` is already a template.
    func recordRequest(method: String, route: String, status: Int, client: String, nanoseconds: Int64) {
        let method = Self.methodLabel(method)
        let key = RequestKey(method: method, route: route, status: status, client: client)
        let counter = requests.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(
                label: Self.requestsName,
                dimensions: [
                    ("method", method), ("route", route), ("status", String(status)), ("client", client),
                ], factory: factory)
            cache[key] = counter
            return counter
        }
        counter.increment()
        let durationKey = DurationKey(method: method, route: route)
        let timer = durations.withLock { cache in
            if let timer = cache[durationKey] { return timer }
            let timer = Timer(label: Self.durationName, dimensions: [("method", method), ("route", route)], factory: factory)
            cache[durationKey] = timer
            return timer
        }
        timer.recordNanoseconds(nanoseconds)
    }

    /// A request refused with 429 because its client (or user) is over its rate limit.
    func recordRateLimitRefusal(client: String) {
        counter(in: refusals, key: client, label: "scim_gateway_rate_limit_refusals_total", dimensions: [("client", client)])
            .increment()
    }

    /// Creates the refusal and bulk series up front (at zero), so dashboards show them before the first event:
    /// `clients` are the configured client names (`me` is added).
    func prepare(clients: [String]) {
        for client in clients + ["me"] {
            _ = counter(in: refusals, key: client, label: "scim_gateway_rate_limit_refusals_total", dimensions: [("client", client)])
        }
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            for result in ["success", "failure"] {
                _ = counter(
                    in: bulkOperations, key: method + " " + result, label: "scim_gateway_bulk_operations_total",
                    dimensions: [("method", method), ("result", result)])
            }
        }
    }

    /// One /Bulk request (counted before its operations run).
    func recordBulkRequest() { bulkRequests.increment() }

    /// One operation of a /Bulk request, by method and outcome (`success` below status 400, else `failure`).
    func recordBulkOperation(method: String, status: Int) {
        let method = Self.methodLabel(method)
        let result = status < 400 ? "success" : "failure"
        counter(
            in: bulkOperations, key: method + " " + result, label: "scim_gateway_bulk_operations_total",
            dimensions: [("method", method), ("result", result)]
        )
        .increment()
    }

    private func counter(in cache: borrowing Mutex<[String: Counter]>, key: String, label: String, dimensions: [(String, String)])
        -> Counter
    {
        cache.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }
}
