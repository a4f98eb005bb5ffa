import LDAPClient
import SCIMCore

/// DELETE, as the mapping's `delete` says: the entry deleted, locked (the mapped `active`, else ppolicy's
/// permanent lock), or moved out of the resource base (`deletedBaseDN`) for the directory's owners.
struct ResourceDeletion {
    let store: LDAPResourceStore

    func delete(id: String, type: ResolvedResourceType, condition: IfMatchCondition) async throws {
        let mapped = try store.resourceMapping(type)
        let entry = try await store.reader.find(id: id, mapped: mapped, attributes: ["entryCSN", "entryUUID"])
        let controls = try condition.controls(current: entry)
        try await store.actingAsOwner(of: entry) { owner in
            switch mapped.delete ?? .delete {
            case .delete:
                _ = try await owner.write { try await $0.delete(dn: entry.dn, controls: controls) }
            case .lock:
                let active = mapped.attributes.first { $0.kind.name == .active }
                let ldap = active?.ldap ?? "pwdAccountLockedTime"
                let inactive = active?.active?.inactiveValue ?? ActiveLock.permanentLock
                _ = try await owner.write { try await $0.modify(dn: entry.dn, [.replace(ldap, [inactive])], controls: controls) }
            case .move:
                guard let target = mapped.deletedBaseDN, let rdn = try? DistinguishedName(entry.dn).rdn?.description else {
                    throw SCIMError.internal()
                }
                _ = try await owner.write {
                    try await $0.rename(dn: entry.dn, newRDN: rdn, deleteOldRDN: true, newSuperior: target, controls: controls)
                }
            }
        }
    }
}
