import LDAPClient
import SCIMCore

/// Direct and nested group memberships for the read-only User `groups` attribute, from `memberOf` plus batched
/// searches up the group graph (one search per level and batch, bounded depth), never one search per group.
struct GroupMembershipResolver {
    let pool: LDAPPool
    let groupsBase: String
    let scope: LDAPScope
    let memberAttribute: String
    let selection: [LDAPFilter]
    static let maxDepth = 8

    /// For each group DN key reachable from `direct`: the DN keys of the groups it is itself a member of.
    func parents(of direct: Set<String>, dns: [String: String]) async throws -> [String: Set<String>] {
        var parents: [String: Set<String>] = [:]
        var visited: Set<String> = direct
        var frontier = Array(direct)
        var originalDNs = dns
        for _ in 0..<Self.maxDepth where !frontier.isEmpty {
            var next: [String] = []
            for batch in frontier.chunked(ReferenceResolver.batchSize) {
                let filter = LDAPFilter.or(batch.compactMap { originalDNs[$0] }.map { .equal(memberAttribute, $0) })
                let result = try await pool.search(base: groupsBase, scope: scope, filter: .and([filter] + selection),
                                                   attributes: [memberAttribute])
                let wanted = Set(batch)
                for group in result.entries {
                    let groupKey = DistinguishedNameKey.key(group.dn)
                    for member in group.strings(memberAttribute) {
                        let memberKey = DistinguishedNameKey.key(member)
                        guard wanted.contains(memberKey) else { continue }
                        parents[memberKey, default: []].insert(groupKey)
                    }
                    if visited.insert(groupKey).inserted {
                        next.append(groupKey)
                        originalDNs[groupKey] = group.dn
                    }
                }
            }
            frontier = next
        }
        return parents
    }

    /// Every group reachable from `direct` through `parents`, excluding the direct ones.
    static func indirect(from direct: Set<String>, parents: [String: Set<String>]) -> Set<String> {
        var seen = direct
        var stack = Array(direct)
        var out: Set<String> = []
        while let current = stack.popLast() {
            for parent in parents[current] ?? [] where seen.insert(parent).inserted {
                out.insert(parent)
                stack.append(parent)
            }
        }
        return out
    }
}
