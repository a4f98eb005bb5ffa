import LDAPClient
import SCIMCore
import Synchronization

/// The attribute lists reads send for a resource type with `read: all`: `*` plus the operational attributes the
/// mapping uses, decided once from the directory's subschema (an attribute whose usage is unknown stays named).
/// Naming sixty attributes costs slapd about a fifth more per search than `*` (measured, README Performance).
final class ReadAttributeLists: Sendable {
    struct Lists: Sendable {
        var all: [String]
        var withoutMembers: [String]
    }

    private let cached = Mutex<[String: Lists]>([:])

    /// The lists for `mapped` (keyed by its base DN), computed from `schema` on first use.
    func lists(for mapped: ResourceMapping, schema: () async -> DirectorySchemaRules?) async -> Lists {
        let key = mapped.baseDN.lowercased()
        if let lists = cached.withLock({ $0[key] }) { return lists }
        let listed = Lists(all: mapped.readAttributes, withoutMembers: mapped.readAttributesWithoutMembers)
        guard mapped.read == .all, let rules = await schema() else { return listed }
        let lists = Self.starLists(mapped, rules)
        cached.withLock { $0[key] = lists }
        return lists
    }

    /// `*` and the names `*` does not cover. Without members: the explicit list (a group's `*` would bring every
    /// member DN).
    static func starLists(_ mapped: ResourceMapping, _ rules: DirectorySchemaRules) -> Lists {
        let operational = mapped.readAttributes.filter { name in
            let type = name.split(separator: ";").first.map(String.init) ?? name
            return rules.rules(for: type)?.operational ?? true
        }
        let hasMembers = mapped.attributes.contains { $0.kind == .members }
        return Lists(all: ["*"] + operational,
                     withoutMembers: hasMembers ? mapped.readAttributesWithoutMembers : ["*"] + operational)
    }

    /// `attributes` with objectClass, unless `*` or the list already brings it (to check a selection on the entry).
    static func withObjectClass(_ attributes: [String]) -> [String] {
        attributes.contains("*") || attributes.contains { $0.caseInsensitiveEquals("objectClass") } ? attributes : attributes + ["objectClass"]
    }
}
