import CoreMetrics
import LDAPClient
import Prometheus
import SCIMServer

/// The one place the metrics backend is chosen: a Prometheus registry of this application's own (tests build
/// several gateways in one process, each with its own counts), the swift-metrics factory every module records
/// through, and the `/metrics` endpoint that renders it.
public struct GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    public let ldap: LDAPMetrics
    public let server: ServerMetrics

    /// Latency buckets from 1 ms to 10 s: an LDAP read takes about a millisecond, and the operation timeout
    /// bounds the tail.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        ldap = LDAPMetrics(factory: factory)
        server = ServerMetrics(factory: factory)
    }

    /// The scrape endpoint, behind `token` when one is set.
    public func endpoint(token: String?) -> MetricsEndpoint {
        let registry = registry
        return MetricsEndpoint(token: token) { registry.emitToBuffer() }
    }
}
