import LDAPClient
import SCIMCore

/// Direct and nested group memberships for the read-only User `groups` attribute.
///
/// The memberof overlay keeps `memberOf` on every member entry, groups included, so one search of the direct
/// groups by DN returns their ids, names and their own memberships; each further nesting level costs one more
/// search (batched, bounded depth) — never one search per group, and never reading a group's member list.
struct GroupMembershipResolver {
    let pool: LDAPPool
    let groupsBase: String
    let scope: LDAPScope
    let selection: [LDAPFilter]
    /// The operational attribute holding memberships (memberOf).
    let membershipAttribute: String
    /// The attribute shown as `display` (the group's displayName mapping).
    let displayAttribute: String?
    static let maxDepth = 8
    /// Recently seen groups (nil: always search).
    var cache: GroupCache?

    struct Resolution {
        var targets: [String: ReferenceResolver.Target] = [:]
        /// Group DN key → DN keys of the groups it is a member of.
        var parents: [String: Set<String>] = [:]
    }

    func resolve(_ direct: [String]) async throws -> Resolution {
        var resolution = Resolution()
        var frontier = Array(Set(direct))
        var seen = Set(frontier.map(DistinguishedNameKey.key))
        let cache = self.cache?.isUsable == true ? self.cache : nil
        for _ in 0..<Self.maxDepth where !frontier.isEmpty {
            var next: [String] = []
            var missing: [String] = []
            for dn in frontier {
                let key = DistinguishedNameKey.key(dn)
                guard let cached = cache?.lookup(key) else { missing.append(dn); continue }
                resolution.targets[key] = cached.target
                for parent in cached.parents {
                    let parentKey = DistinguishedNameKey.key(parent)
                    resolution.parents[key, default: []].insert(parentKey)
                    if seen.insert(parentKey).inserted { next.append(parent) }
                }
            }
            for batch in missing.chunked(ReferenceResolver.batchSize) {
                let filter = LDAPFilter.or(batch.map { .equal("entryDN", $0) })
                let result = try await pool.search(
                    base: groupsBase, scope: scope, filter: .and([filter] + selection),
                    attributes: ["entryUUID", membershipAttribute] + (displayAttribute.map { [$0] } ?? []))
                for entry in result.entries {
                    guard let id = entry.string("entryUUID") else { continue }
                    let key = DistinguishedNameKey.key(entry.dn)
                    let target = ReferenceResolver.Target(
                        dn: entry.dn, id: id, display: displayAttribute.flatMap { entry.string($0) },
                        resourceType: "Group")
                    resolution.targets[key] = target
                    cache?.store(key, target: target, parents: entry.strings(membershipAttribute))
                    for parent in entry.strings(membershipAttribute) {
                        let parentKey = DistinguishedNameKey.key(parent)
                        resolution.parents[key, default: []].insert(parentKey)
                        if seen.insert(parentKey).inserted { next.append(parent) }
                    }
                }
            }
            frontier = next
        }
        return resolution
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
