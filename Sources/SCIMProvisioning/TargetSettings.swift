import Foundation
import LDAPClient

/// One SCIM service the directory is provisioned to (`provisioning.targets[]` in the config file).
public struct TargetSettings: Sendable, Hashable {
    /// What happens on the target when a resource is deleted in the directory or leaves the selection.
    public enum Removal: String, Sendable, Hashable, CaseIterable {
        /// DELETE on the target.
        case delete
        /// Users: `active: false`; groups: their members are removed (the group stays).
        case deactivate
        /// `externalId` is removed: the target keeps the resource and no longer counts it as ours.
        case unmanage
    }

    /// How a changed resource is updated on the target.
    public enum UpdateMethod: String, Sendable, Hashable, CaseIterable {
        /// A minimal PatchOp computed against what the target returned (attributes outside `attributes` stay).
        case patch
        /// PUT of the whole desired resource.
        case put
    }

    public enum Authentication: Sendable, Hashable {
        case none
        /// A static bearer token (read from a `*_FILE` secret by the config loader).
        case bearer(String)
        /// OAuth 2.0 client credentials (RFC 6749 §4.4): a token fetched from `tokenURL`, refreshed before it
        /// expires and after a 401.
        case clientCredentials(tokenURL: String, clientID: String, clientSecret: String, scope: String?)
    }

    public var name: String
    /// The target's SCIM base URL, e.g. `https://cloud.example.org/scim/v2`.
    public var baseURL: String
    public var authentication: Authentication
    /// PEM CA certificates the target's TLS certificate must chain to (default: the system's).
    public var caFile: String?
    /// The resource types sent (`User`, `Group`).
    public var resourceTypes: [String]
    /// Per resource type, an LDAP filter an entry must also match to be sent (e.g.
    /// `(memberOf=cn=nextcloud,ou=groups,dc=example,dc=org)` for membership of a group).
    public var selection: [String: LDAPFilter]
    public var removal: Removal
    public var update: UpdateMethod
    /// Attributes sent per resource type (top-level names, extension attributes as `urn:…:name`); nil: all
    /// that the gateway renders except `excludedAttributes`.
    public var attributes: [String: [String]]?
    /// Never sent, whatever `attributes` says. `password` is never sent anyway (the gateway cannot read it).
    public var excludedAttributes: [String]
    /// Requests in flight at once on this target.
    public var concurrency: Int
    /// A reconciliation's creates go in `/Bulk` requests when the target's ServiceProviderConfig offers Bulk.
    public var bulk: Bool
    /// Requests per second at most (nil: unlimited).
    public var requestsPerSecond: Double?
    /// A full reconciliation this often (nil: only at start and on demand).
    public var reconcileInterval: Duration?
    /// Per-request timeout.
    public var requestTimeout: Duration

    public init(
        name: String, baseURL: String, authentication: Authentication = .none, caFile: String? = nil,
        resourceTypes: [String] = ["User", "Group"], selection: [String: LDAPFilter] = [:],
        removal: Removal = .delete, update: UpdateMethod = .patch, attributes: [String: [String]]? = nil,
        excludedAttributes: [String] = TargetSettings.defaultExcluded, concurrency: Int = 4,
        requestsPerSecond: Double? = nil, reconcileInterval: Duration? = .seconds(3600),
        requestTimeout: Duration = .seconds(30), bulk: Bool = true
    ) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.authentication = authentication
        self.caFile = caFile
        self.resourceTypes = resourceTypes
        self.selection = selection
        self.removal = removal
        self.update = update
        self.attributes = attributes
        self.excludedAttributes = excludedAttributes
        self.concurrency = max(1, min(concurrency, 64))
        self.requestsPerSecond = requestsPerSecond
        self.reconcileInterval = reconcileInterval
        self.requestTimeout = requestTimeout
        self.bulk = bulk
    }

    /// Never sent by default: secrets and what only the source directory can vouch for. The password-state
    /// extension is server-computed and never sent either.
    public static let defaultExcluded = [
        "password", "x509Certificates", "groups",
        "urn:scim-gateway:params:scim:schemas:extension:ppolicy:2.0:User",
    ]

    /// Target names become part of a DN and of metric labels: letters, digits, `-`, `_` and `.` only.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }
}
