import Foundation
import LDAPClient
import SCIMCore

/// Filters on `passwordState` sub-attributes, answered by one exact LDAP filter where ppolicy's operational
/// attributes allow it; anything else is 400 invalidFilter.
extension SCIMFilterTranslation {
    static func isPasswordState(_ path: AttributePath) -> Bool {
        path.attribute.caseInsensitiveEquals(PasswordStateAttributes.attribute)
            && (path.schemaURN == nil || path.schemaURN!.caseInsensitiveEquals(PasswordStateAttributes.schema))
    }

    /// The LDAP filter for a condition on `passwordState.<sub>`, nil when `path` is not one.
    func passwordStateCondition(_ path: AttributePath, _ op: CompareOp?, _ value: JSONValue?) throws(SCIMError) -> LDAPFilter? {
        guard Self.isPasswordState(path), mapping.passwordPolicy?.showsState == true else { return nil }
        let sub = path.subAttribute?.lowercased() ?? ""
        let label = "passwordState.\(path.subAttribute ?? "")"
        func flag() throws(SCIMError) -> Bool? {
            guard let op else { return nil }
            guard op == .eq || op == .ne, let flag = value?.boolValue else {
                throw SCIMError.invalidFilter("\(label) supports eq, ne and pr with true or false.")
            }
            return op == .eq ? flag : !flag
        }
        switch sub {
        case "mustchange":
            guard let wanted = try flag() else { return .alwaysTrue }
            let reset = LDAPFilter.equal("pwdReset", "TRUE")
            return wanted ? reset : .not(reset)
        case "locked":
            guard let wanted = try flag() else { return .alwaysTrue }
            let locked = try perPolicy(label) { policy -> LDAPFilter in
                let temporary = LDAPFilter.and([
                    .present("pwdAccountLockedTime"),
                    .not(.equal("pwdAccountLockedTime", ActiveLock.permanentLock)),
                ])
                guard let policy, policy.lockoutDuration > 0 else { return temporary }
                let cutoff = GeneralizedTime.format(passwordStateNow.addingTimeInterval(-TimeInterval(policy.lockoutDuration)))
                // Locked while pwdAccountLockedTime + duration is still ahead (the permanent value is year 0).
                return .and([temporary, .not(.lessOrEqual("pwdAccountLockedTime", cutoff))])
            }
            return wanted ? locked : .not(locked)
        case "expired":
            guard let wanted = try flag() else { return .alwaysTrue }
            let expired = try perPolicy(label) { policy -> LDAPFilter in
                guard let policy, policy.maxAge > 0 else { return .alwaysFalse }
                let cutoff = GeneralizedTime.format(passwordStateNow.addingTimeInterval(-TimeInterval(policy.maxAge)))
                return .lessOrEqual("pwdChangedTime", cutoff)
            }
            return wanted ? expired : .not(expired)
        case "lastsetdatetime":
            guard let op else { return .present("pwdChangedTime") }
            guard let text = value?.stringValue, let date = SCIMDateTime.parse(text) else {
                throw SCIMError.invalidFilter("\(label) compares with an RFC 3339 date-time.")
            }
            guard ![.co, .sw, .ew].contains(op) else { throw SCIMError.invalidFilter("\(label) supports eq, ne, gt, ge, lt, le and pr.") }
            return try compare("pwdChangedTime", op, GeneralizedTime.format(date), label: label)
        default:
            throw SCIMError.invalidFilter(
                "\(label) cannot be filtered on: the directory answers only mustChange, locked, expired and lastSetDateTime exactly.")
        }
    }

    /// `condition(policy)` for the entries each known policy governs, OR-ed: entries naming a policy in their
    /// `pwdPolicySubentry`, entries without one (the default policy), and entries naming a policy the gateway
    /// cannot read (nil: as the state shows them, without a policy).
    private func perPolicy(_ label: String, _ condition: (PasswordPolicy?) -> LDAPFilter) throws(SCIMError) -> LDAPFilter {
        guard let policies = passwordPoliciesForFilter else {
            throw SCIMError.invalidFilter("\(label) cannot be filtered on: the mapping names no policiesBaseDN.")
        }
        let defaultKey = mapping.passwordPolicy?.defaultPolicy.map(DistinguishedNameKey.key)
        var terms: [LDAPFilter] = []
        var named: [LDAPFilter] = []
        for policy in policies {
            let mine = LDAPFilter.equal("pwdPolicySubentry", policy.dn)
            named.append(mine)
            let governed: LDAPFilter =
                DistinguishedNameKey.key(policy.dn) == defaultKey
                ? .or([mine, .not(.present("pwdPolicySubentry"))]) : mine
            terms.append(.and([governed, condition(policy)]))
        }
        if defaultKey == nil || !policies.contains(where: { DistinguishedNameKey.key($0.dn) == defaultKey }) {
            terms.append(.and([.not(.present("pwdPolicySubentry")), condition(nil)]))
        }
        terms.append(.and([.present("pwdPolicySubentry")] + named.map { .not($0) } + [condition(nil)]))
        return .or(terms)
    }
}
