/// Password actions beside the resource's own writes (draft-hunt-scim-password-mgmt's reset, change and unlock):
/// offered by a backend whose directory keeps a password policy.
public protocol PasswordActionStore: Sendable {
    /// Whether `type` offers the actions (its mapping shows the password policy state).
    func offersPasswordActions(type: ResolvedResourceType) -> Bool
    /// An administrator sets a new password; `mustChange` makes the user change it at the next use.
    func resetPassword(id: String, type: ResolvedResourceType, password: String, mustChange: Bool, context: StoreContext)
        async throws
    /// The user changes their own password, proving the current one.
    func changeOwnPassword(
        id: String, type: ResolvedResourceType, currentPassword: String, newPassword: String,
        context: StoreContext) async throws
    /// Lifts a temporary lockout after failed logins (never the administrative lock, `active=false`).
    func unlockPassword(id: String, type: ResolvedResourceType, context: StoreContext) async throws
}
