import LDAPClient

/// Which of an entry's current values SCIM can see: the entry decoded as the gateway returns it and encoded
/// back. A value outside that view — a second `cn` behind the single-valued `name.formatted`, a member outside
/// the gateway's bases or unreadable by its account, a dangling member DN — is never removed by a write that
/// did not target it (`ModificationPlanner.visible`).
enum VisibleValues {
    /// Description key → the current values the view expresses, for the keys where it expresses fewer values
    /// than the entry holds. Keys where the view holds at least as many values are left out (all visible), so an
    /// encoding that is not byte-identical to what another tool wrote never hides a value by accident.
    /// `dnValued`: lower-cased types whose values are DNs (compared as DNs, not as bytes).
    static func compute(current: LDAPEntry, view: [(String, [[UInt8]])], dnValued: Set<String>) -> [String: [[UInt8]]] {
        var viewByKey: [String: [[UInt8]]] = [:]
        for (description, values) in view { viewByKey[ModificationPlanner.key(description), default: []] += values }
        var visible: [String: [[UInt8]]] = [:]
        for attribute in current.attributes {
            let key = ModificationPlanner.key(attribute.description)
            let seen = viewByKey[key] ?? []
            let matched: [[UInt8]]
            if dnValued.contains(attribute.type.lowercased()) {
                // DNs (and stored member values) are matched one by one: a count says nothing here, since the view
                // holds the empty-group placeholder where the entry holds only members SCIM cannot see.
                let keys = Set(seen.map { DistinguishedNameKey.key(String(decoding: $0, as: UTF8.self)) })
                matched = attribute.values.filter { keys.contains(DistinguishedNameKey.key(String(decoding: $0, as: UTF8.self))) }
            } else {
                guard seen.count < attribute.values.count else { continue }
                let bytes = Set(seen)
                matched = attribute.values.filter { bytes.contains($0) }
            }
            if matched.count < attribute.values.count { visible[key] = matched }
        }
        return visible
    }
}
