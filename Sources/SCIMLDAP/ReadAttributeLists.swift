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

    private struct State {
        var lists: [String: Lists] = [:]
        /// After the subschema could not be read: reads name their attributes until then, then it is asked again.
        var retryAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    static let retryDelay: Duration = .seconds(30)

    /// The lists for `mapped`, computed from `schema` on first use. `guarded` says the connections drop password
    /// values (`LDAPConfiguration.neverRead`); without it every read names its attributes.
    func lists(for mapped: ResourceMapping, guarded: Bool, schema: () async -> DirectorySchemaRules?) async -> Lists {
        let listed = Lists(all: mapped.readAttributes, withoutMembers: mapped.readAttributesWithoutMembers)
        guard mapped.read == .all, guarded else { return listed }
        let key = mapped.name.isEmpty ? mapped.baseDN : mapped.name  // types loaded from a mapping file have names
        let now = ContinuousClock.now
        let (cached, waiting) = state.withLock { ($0.lists[key], $0.retryAt.map { now < $0 } ?? false) }
        if let cached { return cached }
        if waiting { return listed }
        guard let rules = await schema() else {
            state.withLock { $0.retryAt = now + Self.retryDelay }
            return listed
        }
        let lists = Self.starLists(mapped, rules)
        state.withLock {
            $0.lists[key] = lists
            $0.retryAt = nil
        }
        return lists
    }

    /// `*` and the names `*` does not cover. Without members: the explicit list (a group's `*` would bring every
    /// member DN).
    static func starLists(_ mapped: ResourceMapping, _ rules: DirectorySchemaRules) -> Lists {
        let operational = mapped.readAttributes.filter { name in
            let type = name.split(separator: ";").first.map(String.init) ?? name
            return rules.rules(for: type)?.operational ?? true
        }
        let hasMembers = mapped.attributes.contains { $0.kind.name == .members }
        return Lists(
            all: ["*"] + operational,
            withoutMembers: hasMembers ? mapped.readAttributesWithoutMembers : ["*"] + operational)
    }

    /// `attributes` with objectClass, unless `*` or the list already brings it (to check a selection on the entry).
    static func withObjectClass(_ attributes: [String]) -> [String] {
        attributes.contains("*") || attributes.contains { $0.caseInsensitiveEquals("objectClass") } ? attributes : attributes + ["objectClass"]
    }
}
