import CoreMetrics

/// One target's instruments (label `target`), made once from the application's swift-metrics factory:
///
/// - `scim_gateway_provisioning_pushes_total{target, result}`: created, updated, adopted, removed, unchanged,
///   failed (the target refused or did not answer), deferred (circuit open, or the directory did not answer)
/// - `scim_gateway_provisioning_lag_seconds{target}` (histogram): from the change feed delivering a change to the
///   target holding it
/// - `scim_gateway_provisioning_pending{target}`: changes waiting (queued, or recorded as pending with a backoff)
/// - `scim_gateway_provisioning_failed{target}`: resources the target refused in a way that will not heal
/// - `scim_gateway_provisioning_leader{target}`: 1 while this instance holds the target's lease
public final class ProvisioningMetrics: Sendable {
    public static let results = ["created", "updated", "adopted", "removed", "unchanged", "failed", "deferred"]
    private let pushes: [String: Counter]
    let lag: Timer
    let pending: Gauge
    let failed: Gauge
    let leader: Gauge

    public static let disabled = ProvisioningMetrics(target: "", factory: NOOPMetricsHandler.instance)

    public init(target: String, factory: any MetricsFactory) {
        var pushes: [String: Counter] = [:]
        for result in Self.results {
            pushes[result] = Counter(
                label: "scim_gateway_provisioning_pushes_total", dimensions: [("target", target), ("result", result)],
                factory: factory)
        }
        self.pushes = pushes
        lag = Timer(label: "scim_gateway_provisioning_lag_seconds", dimensions: [("target", target)], factory: factory)
        pending = Gauge(label: "scim_gateway_provisioning_pending", dimensions: [("target", target)], factory: factory)
        failed = Gauge(label: "scim_gateway_provisioning_failed", dimensions: [("target", target)], factory: factory)
        leader = Gauge(label: "scim_gateway_provisioning_leader", dimensions: [("target", target)], factory: factory)
        pending.record(0)
        failed.record(0)
        leader.record(0)
    }

    func count(_ action: ProvisioningEngine.Action) {
        let result: String
        switch action {
        case .unchanged: result = "unchanged"
        case .create: result = "created"
        case .adopt: result = "adopted"
        case .update: result = "updated"
        case .remove: result = "removed"
        case .skip(let why): result = why.hasPrefix("circuit") || why.hasPrefix("directory") ? "deferred" : "failed"
        }
        pushes[result]?.increment()
    }

    func recordLag(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        lag.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
