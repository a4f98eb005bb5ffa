import LDAPClient
import SCIMCore

extension LDAPResourceStore {
    /// The policies the entries' password state depends on (their `pwdPolicySubentry`, else the default policy),
    /// read as the service account; nil when the mapping shows no password state.
    func passwordPolicies(for entries: [LDAPEntry], mapped: ResourceMapping) async throws -> [String: PasswordPolicy]? {
        guard let settings = mapped.passwordPolicy else { return nil }
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
        guard let base = mapped.passwordPolicy?.policiesBaseDN, Self.mentionsPasswordState(filter) else { return nil }
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
