import LDAPClient
import SCIMCore
import Synchronization

/// pwdPolicy entries read recently, by DN key, so showing the password state of a page of users costs at most one
/// search per policy per lifetime. Misses (a `pwdPolicySubentry` naming nothing readable) are remembered too.
/// Policies are read as the service account, never as a client's proxy identity (a /Me user may not read them).
final class PasswordPolicyCache: Sendable {
    private struct State {
        var byDN: [String: (policy: PasswordPolicy?, expires: ContinuousClock.Instant)] = [:]
        var all: (policies: [PasswordPolicy], expires: ContinuousClock.Instant)?
    }

    private let state = Mutex(State())
    let lifetime: Duration

    init(lifetime: Duration = .seconds(5)) { self.lifetime = lifetime }

    func clear() { state.withLock { $0 = State() } }

    /// The policies named by `dns` (DN key → policy; unreadable ones absent).
    func policies(_ dns: Set<String>, pool: LDAPPool) async throws -> [String: PasswordPolicy] {
        let now = ContinuousClock.now
        var found: [String: PasswordPolicy] = [:]
        var missing: [String] = []
        state.withLock { state in
            for dn in dns {
                let key = DistinguishedNameKey.key(dn)
                if let cached = state.byDN[key], cached.expires > now {
                    if let policy = cached.policy { found[key] = policy }
                } else {
                    missing.append(dn)
                }
            }
        }
        for dn in missing {
            let key = DistinguishedNameKey.key(dn)
            let policy = try await read(dn, pool: pool)
            if let policy { found[key] = policy }
            state.withLock { $0.byDN[key] = (policy, now + lifetime) }
        }
        return found
    }

    /// Every pwdPolicy entry under `base`.
    func all(under base: String, pool: LDAPPool) async throws -> [PasswordPolicy] {
        let now = ContinuousClock.now
        if let cached = state.withLock({ $0.all }), cached.expires > now { return cached.policies }
        let result = try await pool.asBoundIdentity.search(
            base: base, scope: .subtree, filter: .equal("objectClass", "pwdPolicy"), attributes: PasswordPolicy.attributes)
        let policies = result.entries.compactMap(PasswordPolicy.init).sorted { $0.dn.lowercased() < $1.dn.lowercased() }
        state.withLock { state in
            state.all = (policies, now + lifetime)
            for policy in policies { state.byDN[DistinguishedNameKey.key(policy.dn)] = (policy, now + lifetime) }
        }
        return policies
    }

    private func read(_ dn: String, pool: LDAPPool) async throws -> PasswordPolicy? {
        do {
            let result = try await pool.asBoundIdentity.search(
                base: dn, scope: .base, filter: .present("objectClass"), attributes: PasswordPolicy.attributes)
            return result.entries.first.flatMap(PasswordPolicy.init)
        } catch let error as LDAPError where error.code == .noSuchObject || error.code == .insufficientAccessRights {
            return nil
        }
    }
}
