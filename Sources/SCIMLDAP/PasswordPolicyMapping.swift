import LDAPClient

/// `passwordPolicy:` under a resource type: shows ppolicy's per-entry password state (draft-hunt-scim-password-mgmt's
/// `passwordState`, read-only) and, with `policiesBaseDN`, serves the directory's pwdPolicy entries.
public struct PasswordPolicyMapping: Sendable, Decodable {
    /// The overlay's `olcPPolicyDefault`: the policy of entries without `pwdPolicySubentry`. The service account
    /// usually cannot read cn=config, so the mapping names it.
    public var defaultPolicy: String?
    /// Where the pwdPolicy entries live (for `/PasswordPolicies` and for filters that depend on the policy).
    public var policiesBaseDN: String?
    /// Serve the policies as `/PasswordPolicies` (read-only; default false: generic SCIM testers and clients
    /// that try to create every advertised resource type would meet 405s).
    public var serve: Bool?
    /// Seconds a policy entry read from the directory is reused (default 5).
    public var cacheSeconds: Int?
    /// Show each entry's password state as the read-only `passwordState` extension, with its filters and sort
    /// (default false: generic SCIM testers treat an optional extension whose every attribute is readOnly as
    /// writable, see the README). The actions need only `passwordPolicy:` itself.
    public var state: Bool?

    /// Whether the `passwordState` extension is shown.
    public var showsState: Bool { state == true }
}

/// The extension schema and the ppolicy operational attributes it is computed from.
public enum PasswordStateAttributes {
    public static let schema = "urn:scim-gateway:params:scim:schemas:extension:ppolicy:2.0:User"
    public static let attribute = "passwordState"
    /// Operational attributes of a user entry (slapd's ppolicy overlay maintains them).
    public static let read = [
        "pwdChangedTime", "pwdReset", "pwdFailureTime", "pwdAccountLockedTime", "pwdGraceUseTime",
        "pwdPolicySubentry",
    ]
}
