/// Who a request acts for, as far as the backend must know: set by the HTTP layer's authentication for the whole
/// request (a task-local value), honoured by the `ResourceStore`.
///
/// - `baseDN`: the client may only see and change resources inside this subtree (DN); anything outside is
///   "not found", searches are limited to it.
/// - `proxiedAuthorizationID`: an LDAP authorization identity (`dn:...` or `u:...`) every directory operation
///   runs as (RFC 4370 Proxied Authorization), so the directory's own ACLs apply.
/// - `actingUserID`: the SCIM id of the authenticated end user (/Me); writes run as that user's own entry with
///   Proxied Authorization, so the directory's password policy and ACLs apply to the user.
public struct RequestScope: Sendable, Hashable {
    public var baseDN: String?
    public var proxiedAuthorizationID: String?
    public var actingUserID: String?

    public init(baseDN: String? = nil, proxiedAuthorizationID: String? = nil, actingUserID: String? = nil) {
        self.baseDN = baseDN
        self.proxiedAuthorizationID = proxiedAuthorizationID
        self.actingUserID = actingUserID
    }

    /// No restriction: the service account's own view.
    public static let unrestricted = RequestScope()

    /// The scope of the request being served (`RequestScope.$current.withValue(scope) { ... }`).
    @TaskLocal public static var current: RequestScope = .unrestricted
}

/// Checks an end user's password against the directory (an LDAP simple bind as that user); used for HTTP Basic on
/// /Me. Returns the user's SCIM id when the credentials are right, nil when they are not.
public protocol CredentialVerifier: Sendable {
    func verifyPassword(userName: String, password: String, type: ResolvedResourceType) async throws -> String?
}
