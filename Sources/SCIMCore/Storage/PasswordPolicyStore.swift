/// A backend that serves its directory's password policies (`/PasswordPolicies`, read-only).
public protocol PasswordPolicyStore: Sendable {
    /// Whether the mapping enables `/PasswordPolicies`.
    var servesPasswordPolicies: Bool { get }
    /// Every policy as a resource of `type` (with `id` and `meta`).
    func passwordPolicies(type: ResolvedResourceType, context: StoreContext) async throws -> [StoredResource]
}

public enum PasswordPolicyResource {
    public static let name = "PasswordPolicy"
    public static let schema = "urn:scim-gateway:params:scim:schemas:core:2.0:PasswordPolicy"
    public static let endpoint = "/PasswordPolicies"
}
