/// Where one client's requests reach in the directory (config `clients[].access.baseDN` and
/// `clients[].access.proxyAuthorization`), looked up by the request's `RequestScope.clientName`.
///
/// - `baseDN`: the client may only see and change resources inside this subtree; anything outside is "not
///   found", searches are limited to it.
/// - `proxiedAuthorizationID`: an LDAP authorization identity (`dn:...` or `u:...`) every directory operation of
///   the client runs as (RFC 4370 Proxied Authorization), so the directory's own ACLs apply.
public struct DirectoryScope: Sendable, Hashable {
    public var baseDN: String?
    public var proxiedAuthorizationID: String?

    public init(baseDN: String? = nil, proxiedAuthorizationID: String? = nil) {
        self.baseDN = baseDN
        self.proxiedAuthorizationID = proxiedAuthorizationID
    }

    /// The service account's own view.
    public static let unrestricted = DirectoryScope()
}
