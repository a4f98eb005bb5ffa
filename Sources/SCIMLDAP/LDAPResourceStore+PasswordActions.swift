import LDAPClient
import Logging
import OrderedCollections
import SCIMCore

/// ppolicy's actions: an administrator's reset (optionally with `pwdReset: TRUE`), the user's own change with the
/// current password (Password Modify with oldPassword, as the user), and the lift of a temporary lockout.
extension LDAPResourceStore: PasswordActionStore {
    public func offersPasswordActions(type: ResolvedResourceType) -> Bool {
        guard let mapped = mapping.resourceTypes[type.resourceType.name] else { return false }
        return mapped.passwordPolicy != nil && mapped.attributes.contains { $0.kind.name == .password }
    }

    private func passwordTarget(_ id: String, _ type: ResolvedResourceType) async throws
        -> (mapped: ResourceMapping, password: AttributeMapping, entry: LDAPEntry)
    {
        let mapped = try resourceMapping(type)
        guard mapped.passwordPolicy != nil, let password = mapped.attributes.first(where: { $0.kind.name == .password }) else {
            throw SCIMError.notFound("This resource type has no password actions.")
        }
        var attributes = ["entryUUID", "entryCSN", "pwdAccountLockedTime", "pwdFailureTime"]
        if let active = mapped.attributes.first(where: { $0.kind.name == .active }) { attributes += active.ldapAttributes }
        let entry = try await reader.find(id: id, mapped: mapped, attributes: attributes)
        guard isInScope(entry.dn) else { throw SCIMError.notFound("Resource \(id) not found.") }
        return (mapped, password, entry)
    }

    public func resetPassword(id: String, type: ResolvedResourceType, password: String, mustChange: Bool,
                              context: StoreContext) async throws
    {
        try await scoped(context) { try await $0.resetScoped(id: id, type: type, password: password, mustChange: mustChange) }
    }

    private func resetScoped(id: String, type: ResolvedResourceType, password: String, mustChange: Bool) async throws {
        let (mapped, attribute, entry) = try await passwordTarget(id, type)
        let method = try await passwordMethodForWrite(type.resourceType.name, mapped)
        let reset: [LDAPModification] = mustChange ? [.replace("pwdReset", ["TRUE"])] : []
        // ppolicy lifts its lock when an administrator sets a password: an inactive user stays inactive.
        let relock = Self.relock(mapped, resource: .object([:]), current: entry)
        groupCache.clear()
        do {
            try await pool.withConnection { connection in
                switch method {
                case .exop:
                    _ = try await connection.passwordModify(user: entry.dn, newPassword: LDAPSecret(password),
                                                            controls: [.passwordPolicy])
                    if !(reset + relock).isEmpty { _ = try await connection.modify(dn: entry.dn, reset + relock) }
                case .modify, .hash:
                    let (written, _) = Self.applying(method, passwordType: attribute.ldap.lowercased(),
                                                     to: [.replace(attribute.ldap, [password])])
                    _ = try await connection.modify(dn: entry.dn, written + reset, controls: [.passwordPolicy])
                    if !relock.isEmpty { _ = try await connection.modify(dn: entry.dn, relock) }
                }
            }
        } catch let error as LDAPError {
            if error.controls.passwordPolicy?.failure == .mustSupplyOldPassword {
                throw SCIMError.forbidden("The password policy requires the current password for every change (pwdSafeModify): the directory refuses a reset by this gateway; the user changes it on /Me/password.")
            }
            throw translate(error, type.resourceType.name)
        }
    }

    public func changeOwnPassword(id: String, type: ResolvedResourceType, currentPassword: String, newPassword: String,
                                  context: StoreContext) async throws
    {
        try await serving(context).changeOwn(id: id, type: type, currentPassword: currentPassword, newPassword: newPassword)
    }

    private func changeOwn(id: String, type: ResolvedResourceType, currentPassword: String, newPassword: String) async throws {
        let (_, _, entry) = try await passwordTarget(id, type)
        guard scope.actingUserID?.caseInsensitiveEquals(id) == true else {
            throw SCIMError.forbidden("Only the user may change their own password with the current one.")
        }
        do {
            // As the user (proxied authorization): the policy sees the user's own change, pwdSafeModify included.
            try await LDAPProxy.$authorizationID.withValue("dn:" + entry.dn) {
                _ = try await pool.withConnection { connection in
                    try await connection.passwordModify(user: entry.dn, oldPassword: LDAPSecret(currentPassword),
                                                        newPassword: LDAPSecret(newPassword), controls: [.passwordPolicy])
                }
            }
        } catch let error as LDAPError {
            logger.debug("own password change refused", metadata: ["ldap.error": "\(error.logDescription)"])
            throw PasswordActionErrors.ownChange(error) ?? translate(error, type.resourceType.name)
        }
    }

    public func unlockPassword(id: String, type: ResolvedResourceType, context: StoreContext) async throws {
        try await scoped(context) { try await $0.unlockScoped(id: id, type: type) }
    }

    private func unlockScoped(id: String, type: ResolvedResourceType) async throws {
        let (_, _, entry) = try await passwordTarget(id, type)
        // Only a temporary lock: the permanent value is `active=false`, changed through `active` alone. Deleting
        // the lock makes ppolicy drop the recorded failures too (pwdFailureTime itself is not user-modifiable).
        guard let lock = entry.strings("pwdAccountLockedTime").first(where: { $0 != ActiveLock.permanentLock }) else { return }
        do {
            _ = try await pool.withConnection { try await $0.modify(dn: entry.dn, [.delete("pwdAccountLockedTime", [lock])]) }
        } catch let error as LDAPError {
            throw translate(error, type.resourceType.name)
        }
    }
}

/// The refusals of a user's own change, named after the rule that refused it.
enum PasswordActionErrors {
    static func ownChange(_ error: LDAPError) -> SCIMError? {
        switch error.controls.passwordPolicy?.failure {
        case .mustSupplyOldPassword?: return .invalidValue("The password policy requires the current password (pwdSafeModify).")
        case .passwordModNotAllowed?: return .forbidden("The password policy does not let users change their password (pwdAllowUserChange).")
        case .passwordTooYoung?: return .invalidValue("The password was changed too recently to change it again (pwdMinAge).")
        case .passwordInHistory?: return .invalidValue("The password was used recently; the password policy requires a new one (pwdInHistory).")
        case .passwordTooShort?: return .invalidValue("The password is too short for the password policy (pwdMinLength).")
        case .insufficientPasswordQuality?: return .invalidValue("The password does not meet the password policy's quality rules (pwdCheckQuality).")
        case .accountLocked?: return .invalidValue("The account is locked; an administrator must unlock it first.")
        default: break
        }
        switch error.code {
        case .invalidCredentials, .unwillingToPerform:
            return .invalidValue("The current password is not correct.")
        default:
            return nil
        }
    }
}
