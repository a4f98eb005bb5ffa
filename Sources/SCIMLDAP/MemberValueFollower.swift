import LDAPClient
import Logging

/// Groups that store members by a value of theirs (posixGroup's `memberUid` holds `uid`) follow a change of
/// that value made through the gateway: slapd's refint follows DNs only, so without this a new userName would
/// silently take the user out of every such group.
extension LDAPResourceStore {
    func followMemberValues(from old: LDAPEntry, to new: LDAPEntry) async {
        for (_, groups) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            guard let membership = groups.membership, let attribute = membership.value,
                  let before = old.string(attribute), let after = new.string(attribute), before != after
            else { continue }
            do {
                let found = try await pool.search(base: groups.baseDN, scope: groups.scope == .one ? .oneLevel : .subtree,
                                                  filter: .and([.equal(membership.attribute, before)] + groups.selection),
                                                  attributes: ["1.1"])
                for group in found.entries {
                    _ = try await pool.withConnection { connection in
                        try await connection.modify(dn: group.dn, [.delete(membership.attribute, [before]),
                                                                   .add(membership.attribute, [after])])
                    }
                }
            } catch let error as LDAPError {
                logger.warning("a group storing members by \(attribute) could not follow a changed value",
                               metadata: ["ldap.error": "\(error.logDescription)", "dn": "\(new.dn)"])
            } catch {
                logger.warning("a group storing members by \(attribute) could not follow a changed value", metadata: ["dn": "\(new.dn)"])
            }
        }
    }
}
