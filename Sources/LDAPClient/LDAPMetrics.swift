import CoreMetrics

/// The kinds of LDAP operation counted in `scim_gateway_ldap_operations_total` (label `operation`).
public enum LDAPOperationKind: Int, CaseIterable, Sendable {
    case search, add, modify, delete, modrdn, compare, bind, extended

    public var label: String {
        switch self {
        case .search: "search"
        case .add: "add"
        case .modify: "modify"
        case .delete: "delete"
        case .modrdn: "modrdn"
        case .compare: "compare"
        case .bind: "bind"
        case .extended: "extended"
        }
    }
}

/// A bounded grouping of LDAP result codes (label `result`): every code lands in one of eight classes.
public enum LDAPResultClass: Int, CaseIterable, Sendable {
    case success, notFound, conflict, refused, denied, limit, unavailable, other

    public init(_ code: LDAPResultCode) {
        switch code.rawValue {
        case 0, 5, 6: self = .success  // compareFalse and compareTrue answer the question
        case 32: self = .notFound
        case 20, 68: self = .conflict
        case 16...21, 34, 53, 64...67, 69, 122: self = .refused
        case 7, 8, 13, 48...50, 123: self = .denied
        case 3, 4, 11: self = .limit
        case 51, 52, -1, -5, -11: self = .unavailable
        default: self = .other
        }
    }

    public var label: String {
        switch self {
        case .success: "success"
        case .notFound: "no_such_object"
        case .conflict: "already_exists"
        case .refused: "refused"
        case .denied: "denied"
        case .limit: "limit_exceeded"
        case .unavailable: "unavailable"
        case .other: "other"
        }
    }
}

/// The LDAP client's instruments, made once from a swift-metrics factory (the application picks the backend):
/// every counter and timer exists before the first operation, so recording one is an index and an atomic add,
/// with no lookup and no allocation.
///
/// - `scim_gateway_ldap_operations_total{operation, result}`
/// - `scim_gateway_ldap_operation_duration_seconds{operation}` (histogram)
/// - `scim_gateway_ldap_pool_connections_in_use`, `_idle`, `scim_gateway_ldap_pool_waiting_callers`
/// - `scim_gateway_ldap_directory_up` (1 while the pool treats the directory as reachable, else 0)
public final class LDAPMetrics: Sendable {
    public static let operationsName = "scim_gateway_ldap_operations_total"
    public static let durationName = "scim_gateway_ldap_operation_duration_seconds"

    /// Records nothing (the default for tools and tests that never export metrics).
    public static let disabled = LDAPMetrics(factory: NOOPMetricsHandler.instance)

    private let operations: [Counter]
    private let durations: [Timer]
    let inUse: Gauge
    let idle: Gauge
    let waiting: Gauge
    let up: Gauge

    public init(factory: any MetricsFactory) {
        let classes = LDAPResultClass.allCases
        operations = LDAPOperationKind.allCases.flatMap { kind in
            classes.map { result in
                Counter(
                    label: Self.operationsName, dimensions: [("operation", kind.label), ("result", result.label)],
                    factory: factory)
            }
        }
        durations = LDAPOperationKind.allCases.map { kind in
            Timer(label: Self.durationName, dimensions: [("operation", kind.label)], factory: factory)
        }
        inUse = Gauge(label: "scim_gateway_ldap_pool_connections_in_use", factory: factory)
        idle = Gauge(label: "scim_gateway_ldap_pool_connections_idle", factory: factory)
        waiting = Gauge(label: "scim_gateway_ldap_pool_waiting_callers", factory: factory)
        up = Gauge(label: "scim_gateway_ldap_directory_up", factory: factory)
        up.record(1)
    }

    /// One finished operation: its kind, result code and how long it took from send to reply.
    func record(_ kind: LDAPOperationKind, _ code: LDAPResultCode, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        operations[kind.rawValue * LDAPResultClass.allCases.count + LDAPResultClass(code).rawValue].increment()
        let (seconds, attoseconds) = elapsed.components
        durations[kind.rawValue].recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The pool's occupancy after a change.
    func recordPool(inUse: Int, idle: Int, waiting: Int, up: Bool) {
        self.inUse.record(inUse)
        self.idle.record(idle)
        self.waiting.record(waiting)
        self.up.record(up ? 1 : 0)
    }
}
