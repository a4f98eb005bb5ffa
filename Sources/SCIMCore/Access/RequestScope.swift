/// Who a request acts for, as far as the protocol knows: made by the HTTP layer from the authenticated principal,
/// handed to every `ResourceStore` call in its `StoreContext` and honoured there. What a principal may do (resource types,
/// operations, attributes) is the HTTP layer's access policy; what it means in a backend (an LDAP subtree, a proxy
/// identity) is the backend's own configuration, keyed by `clientName`.
///
/// - `clientName`: the authenticated API client (`clients[].name`); nil for end users and for the gateway's own
///   work (start-up checks, provisioning).
/// - `actingUserID`: the SCIM id of the authenticated end user (/Me); a backend may run that user's writes as the
///   user, so the directory's password policy and ACLs apply to them.
public struct RequestScope: Sendable, Hashable {
    public var clientName: String?
    public var actingUserID: String?

    public init(clientName: String? = nil, actingUserID: String? = nil) {
        self.clientName = clientName
        self.actingUserID = actingUserID
    }

    /// No principal: the gateway's own view.
    public static let unrestricted = RequestScope()
}

/// Checks an end user's password against the directory (an LDAP simple bind as that user); used for HTTP Basic on
/// /Me. Returns the user's SCIM id when the credentials are right, nil when they are not.
public protocol CredentialVerifier: Sendable {
    func verifyPassword(userName: String, password: String, type: ResolvedResourceType, context: StoreContext) async throws
        -> String?
}
