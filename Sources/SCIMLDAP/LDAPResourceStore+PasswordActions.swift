import LDAPClient
import SCIMCore

/// ppolicy's actions (`PasswordActions`), offered for resource types with a password policy and a password.
extension LDAPResourceStore: PasswordActionStore {
    public func offersPasswordActions(type: ResolvedResourceType) -> Bool {
        guard let mapped = mapping.resourceTypes[type.resourceType.name] else { return false }
        return mapped.passwordPolicy != nil && mapped.attributes.contains { $0.kind.name == .password }
    }

    public func resetPassword(
        id: String, type: ResolvedResourceType, password: String, mustChange: Bool,
        context: StoreContext
    ) async throws {
        try await scoped(context) {
            try await PasswordActions(store: $0).reset(id: id, type: type, password: password, mustChange: mustChange)
        }
    }

    public func changeOwnPassword(
        id: String, type: ResolvedResourceType, currentPassword: String, newPassword: String,
        context: StoreContext
    ) async throws {
        try await PasswordActions(store: serving(context)).changeOwn(
            id: id, type: type, currentPassword: currentPassword,
            newPassword: newPassword)
    }

    public func unlockPassword(id: String, type: ResolvedResourceType, context: StoreContext) async throws {
        try await scoped(context) { try await PasswordActions(store: $0).unlock(id: id, type: type) }
    }
}
