import LDAPClient
import Logging

/// Groups that store members by a value of theirs (posixGroup's `memberUid` holds `uid`) follow a change of
/// that value made through the gateway: slapd's refint follows DNs only, so without this a new userName would
/// silently take the user out of every such group. Runs as the service account (never as a /Me user, who may
/// not see or change the groups), group by group: one group that fails does not stop the others.
extension LDAPResourceStore {
    func followMemberValues(from old: LDAPEntry, to new: LDAPEntry) async {
        for (_, groups) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            guard let membership = groups.membership, let attribute = membership.value,
                let before = EntryDecoder.shownValue(of: attribute, in: old),
                let after = EntryDecoder.shownValue(of: attribute, in: new), before != after
            else { continue }
            await follow(membership.attribute, from: before, to: after, in: groups, dn: new.dn)
        }
    }

    private func follow(_ attribute: String, from before: String, to after: String, in groups: ResourceMapping, dn: String) async {
        let pool = self.pool.asBoundIdentity
        let found: LDAPSearchResult
        do {
            // memberUid compares case-exactly; a member written as `JDoe` is still this user.
            found = try await pool.search(
                base: groups.baseDN, scope: groups.scope == .one ? .oneLevel : .subtree,
                filter: .and([.extensible(attribute, rule: "caseIgnoreIA5Match", Array(before.utf8))] + groups.selection),
                attributes: [attribute])
        } catch let error as LDAPError {
            logger.error(
                "groups storing members by value could not follow a changed value",
                metadata: ["ldap.error": "\(error.logDescription)", "dn": "\(dn)"])
            return
        } catch {
            return
        }
        for group in found.entries {
            let stale = group.values(attribute).filter { String(decoding: $0, as: UTF8.self).lowercased() == before.lowercased() }
            let present = group.values(attribute).contains { String(decoding: $0, as: UTF8.self).lowercased() == after.lowercased() }
            var modifications = [LDAPModification(.delete, attribute, stale)]
            if !present { modifications.append(.add(attribute, [after])) }
            do {
                _ = try await pool.withConnection { try await $0.modify(dn: group.dn, modifications) }
            } catch let error as LDAPError {
                logger.error(
                    "a group storing members by value could not follow a changed value",
                    metadata: ["ldap.error": "\(error.logDescription)", "group": "\(group.dn)", "dn": "\(dn)"])
            } catch {
                continue
            }
        }
    }
}
