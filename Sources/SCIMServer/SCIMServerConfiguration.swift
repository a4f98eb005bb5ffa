import Foundation
import Logging
import OrderedCollections
import SCIMCore

/// HTTP-side settings.
///
/// Keys (config file `http:` and `scim:` sections): `basePath`, `publicBaseURL`, `maxBodyBytes`, `maxJSONDepth`,
/// `filter.maxLength`, `filter.maxDepth`; page limits are `PageLimits.standard`.
public struct SCIMServerConfiguration: Sendable {
    /// Path prefix of every SCIM endpoint, `/scim/v2` by default.
    public var basePath: String
    /// Public base URL used in Location, meta.location and $ref (`https://scim.example.org/scim/v2`).
    public var publicBaseURL: String
    public var maxBodyBytes: Int
    public var maxJSONDepth: Int
    public var filterLimits: FilterLimits
    /// Page size when a list names no `count`, and the largest page served (advertised as filter.maxResults); the
    /// storage backend is given the same value.
    public var pageLimits: PageLimits = .standard
    /// /Bulk bounds, enforced and advertised in ServiceProviderConfig.
    public var bulkMaxOperations: Int = 1000
    public var bulkMaxPayloadBytes: Int = 1 << 20
    /// What ServiceProviderConfig advertises; true only for what works end to end.
    public var features = Features()
    /// Bearer clients allowed to call the API.
    public var clients: [BearerClient]
    /// The schemas and resource types /Schemas and /ResourceTypes advertise, when narrower than those requests are
    /// checked against (only what the mapping stores).
    public var discoveryRegistry: SchemaRegistry?
    /// User-bound credentials for /Me (off unless configured).
    public var users = UserAuthentication()
    /// Where write events go (off by default).
    public var audit: AuditLog = .disabled
    /// Request, rate-limit and bulk instruments (nothing recorded by default).
    public var metrics: ServerMetrics = .disabled
    /// `GET /metrics` on this router; nil when metrics are off or served on a listener of their own.
    public var metricsEndpoint: MetricsEndpoint?

    public init(
        basePath: String = "/scim/v2", publicBaseURL: String, maxBodyBytes: Int = 1 << 20,
        maxJSONDepth: Int = 32, filterLimits: FilterLimits = .default, clients: [BearerClient]
    ) {
        self.basePath = basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.maxBodyBytes = maxBodyBytes
        self.maxJSONDepth = maxJSONDepth
        self.filterLimits = filterLimits
        self.clients = clients
    }
}

/// Optional protocol features, as advertised.
public struct Features: Sendable {
    public var patch = false
    public var filter = false
    public var sort = false
    /// When set, asked on every ServiceProviderConfig request instead of `sort`: the backend's own answer (the
    /// LDAP store sorts only when the directory offers server-side sort).
    public var sortSupported: (@Sendable () async -> Bool)?
    public init() {}
}
