import LDAPClient

/// The modifications that put back what `forward` changed, from the entry as read before it: every attribute
/// description `forward` touched is replaced with its earlier values (none: removed). Used when a write's second
/// step (the Password Modify operation) is refused, so the write is all or nothing.
enum ModificationUndo {
    static func inverse(of forward: [LDAPModification], current: LDAPEntry) -> [LDAPModification] {
        var seen: Set<String> = []
        var undo: [LDAPModification] = []
        for modification in forward {
            let key = ModificationPlanner.key(modification.attribute)
            guard seen.insert(key).inserted else { continue }
            let before = current.attributes.filter { ModificationPlanner.key($0.description) == key }
            let values = before.flatMap(\.values)
            undo.append(LDAPModification(.replace, before.first?.description ?? modification.attribute, values))
        }
        return undo
    }
}
