import LDAPClient
import Logging
import OrderedCollections
import SCIMCore

/// ppolicy's actions on one user: an administrator's reset (optionally with `pwdReset: TRUE`), the user's own
/// change with the current password (Password Modify with oldPassword, as the user), and the lift of a temporary
/// lockout.
struct PasswordActions {
    let store: LDAPResourceStore

    private func target(_ id: String, _ type: ResolvedResourceType) async throws
        -> (mapped: ResourceMapping, password: AttributeMapping, entry: LDAPEntry)
    {
        let mapped = try store.resourceMapping(type)
        guard mapped.passwordPolicy != nil, let password = mapped.attributes.first(where: { $0.kind.name == .password }) else {
            throw SCIMError.notFound("This resource type has no password actions.")
        }
        var attributes = ["entryUUID", "entryCSN", "pwdAccountLockedTime", "pwdFailureTime"]
        if let active = mapped.attributes.first(where: { $0.kind.name == .active }) { attributes += active.ldapAttributes }
        let entry = try await store.reader.find(id: id, mapped: mapped, attributes: attributes)
        guard store.isInScope(entry.dn) else { throw SCIMError.notFound("Resource \(id) not found.") }
        return (mapped, password, entry)
    }

    func reset(id: String, type: ResolvedResourceType, password: String, mustChange: Bool) async throws {
        let (mapped, attribute, entry) = try await target(id, type)
        let method = try await store.passwords.methodForWrite(type.resourceType.name, mapped)
        let reset: [LDAPModification] = mustChange ? [.replace("pwdReset", ["TRUE"])] : []
        // ppolicy lifts its lock when an administrator sets a password: an inactive user stays inactive.
        let relock = PasswordWrites.relock(mapped, resource: .object([:]), current: entry)
        store.groupCache.clear()
        do {
            try await store.pool.withConnection { connection in
                switch method {
                case .exop:
                    _ = try await connection.passwordModify(
                        user: entry.dn, newPassword: LDAPSecret(password),
                        controls: [.passwordPolicy])
                    if !(reset + relock).isEmpty { _ = try await connection.modify(dn: entry.dn, reset + relock) }
                case .modify, .hash:
                    let (written, _) = PasswordWrites.applying(
                        method, passwordType: attribute.ldap.lowercased(),
                        to: [.replace(attribute.ldap, [password])])
                    _ = try await connection.modify(dn: entry.dn, written + reset, controls: [.passwordPolicy])
                    if !relock.isEmpty { _ = try await connection.modify(dn: entry.dn, relock) }
                }
            }
        } catch let error as LDAPError {
            if error.controls.passwordPolicy?.failure == .mustSupplyOldPassword {
                throw SCIMError.forbidden(
                    "The password policy requires the current password for every change (pwdSafeModify): the directory refuses a reset by this gateway; the user changes it on /Me/password."
                )
            }
            throw store.translate(error, type.resourceType.name)
        }
    }

    func changeOwn(id: String, type: ResolvedResourceType, currentPassword: String, newPassword: String) async throws {
        let (_, _, entry) = try await target(id, type)
        guard store.scope.actingUserID?.caseInsensitiveEquals(id) == true else {
            throw SCIMError.forbidden("Only the user may change their own password with the current one.")
        }
        do {
            // As the user (proxied authorization): the policy sees the user's own change, pwdSafeModify included.
            _ = try await store.pool.acting(as: "dn:" + entry.dn).withConnection { connection in
                try await connection.passwordModify(
                    user: entry.dn, oldPassword: LDAPSecret(currentPassword),
                    newPassword: LDAPSecret(newPassword), controls: [.passwordPolicy])
            }
        } catch let error as LDAPError {
            store.logger.debug("own password change refused", metadata: ["ldap.error": "\(error.logDescription)"])
            throw PasswordActionErrors.ownChange(error) ?? store.translate(error, type.resourceType.name)
        }
    }

    func unlock(id: String, type: ResolvedResourceType) async throws {
        let (_, _, entry) = try await target(id, type)
        // Only a temporary lock: the permanent value is `active=false`, changed through `active` alone. Deleting
        // the lock makes ppolicy drop the recorded failures too (pwdFailureTime itself is not user-modifiable).
        guard let lock = entry.strings("pwdAccountLockedTime").first(where: { $0 != ActiveLock.permanentLock }) else { return }
        do {
            _ = try await store.pool.withConnection { try await $0.modify(dn: entry.dn, [.delete("pwdAccountLockedTime", [lock])]) }
        } catch let error as LDAPError {
            throw store.translate(error, type.resourceType.name)
        }
    }
}
