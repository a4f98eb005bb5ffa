/// Proxied Authorization (RFC 4370) for every operation of the current task: while
/// `LDAPProxy.$authorizationID.withValue("dn:...") { ... }` runs, each search, add, modify, rename, delete and
/// compare a connection sends carries the control, so the directory applies its ACLs to that identity instead of
/// the bound one. Operations that already carry the control keep theirs.
public enum LDAPProxy {
    @TaskLocal public static var authorizationID: String?

    static func controls(_ controls: [LDAPRequestControl]) -> [LDAPRequestControl] {
        guard let id = authorizationID else { return controls }
        for control in controls {
            if case .proxiedAuthorization = control { return controls }
        }
        return controls + [.proxiedAuthorization(authzID: id)]
    }
}
