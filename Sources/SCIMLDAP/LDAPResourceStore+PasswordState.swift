import LDAPClient
import SCIMCore

extension LDAPResourceStore {
    /// The policies the entries' password state depends on (their `pwdPolicySubentry`, else the default policy),
    /// read as the service account; nil when the mapping shows no password state.
    func passwordPolicies(for entries: [LDAPEntry], mapped: ResourceMapping) async throws -> [String: PasswordPolicy]? {
        guard let settings = mapped.passwordPolicy, settings.showsState else { return nil }
        let dns = Set(entries.compactMap { PasswordState.policyDN(of: $0, mapping: settings) })
        guard !dns.isEmpty else { return [:] }
        do {
            return try await passwordPolicyCache.policies(dns, pool: pool)
        } catch let error as LDAPError {
            throw translate(error, "password policy")
        }
    }
}

extension LDAPResourceStore {
    /// Every policy under `policiesBaseDN` when `filter` has a passwordState condition that depends on the policy.
    func passwordPoliciesForFilter(_ filter: SCIMFilter, mapped: ResourceMapping) async throws -> [PasswordPolicy]? {
        guard mapped.passwordPolicy?.showsState == true, let base = mapped.passwordPolicy?.policiesBaseDN,
            Self.mentionsPasswordState(filter)
        else { return nil }
        do {
            return try await passwordPolicyCache.all(under: base, pool: pool)
        } catch let error as LDAPError {
            throw translate(error, "password policy")
        }
    }

    static func mentionsPasswordState(_ filter: SCIMFilter) -> Bool {
        switch filter {
        case .and(let l, let r), .or(let l, let r): mentionsPasswordState(l) || mentionsPasswordState(r)
        case .not(let f): mentionsPasswordState(f)
        case .valuePath(let path, _), .present(let path), .compare(let path, _, _): SCIMFilterTranslation.isPasswordState(path)
        }
    }
}

extension LDAPResourceStore {
    /// `sortBy` on `passwordState.<sub>`, nil when `path` is not one. Only `lastSetDateTime` is one directory value
    /// (`pwdChangedTime`, which slapd orders with generalizedTimeOrderingMatch in server-side sort); the others are
    /// computed from the effective policy (`expiresDateTime`, `locked`, `graceLoginsRemaining`), count or pick among
    /// several values (`failedAttempts`, `lastFailedDateTime`), so the directory cannot order by them and they are
    /// refused rather than sorted in memory.
    func passwordStateSortKey(_ path: AttributePath, mapped: ResourceMapping, reverse: Bool) throws(SCIMError) -> LDAPSortKey? {
        guard mapped.passwordPolicy?.showsState == true, SCIMFilterTranslation.isPasswordState(path) else { return nil }
        if path.subAttribute?.caseInsensitiveEquals("lastSetDateTime") == true {
            return LDAPSortKey("pwdChangedTime", reverse: reverse)
        }
        throw SCIMError.invalidValue(
            "sortBy passwordState.\(path.subAttribute ?? ""): only passwordState.lastSetDateTime is sortable; "
                + "the other password state values are computed from the policy or from several directory values, "
                + "which the directory cannot sort by.")
    }
}
