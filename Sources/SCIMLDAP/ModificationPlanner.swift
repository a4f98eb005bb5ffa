import LDAPClient

/// Turns "the entry as it is" and "the attributes it should have" into the smallest list of modifications:
/// attributes the mapping does not own are never touched; multi-valued attributes change value by value (a
/// 10,000-member group gains one member with one `add`), single-valued ones with `replace`.
struct ModificationPlanner {
    /// Lower-cased LDAP attribute types the mapping owns (values of other types are left alone).
    let ownedTypes: Set<String>
    /// Lower-cased types written with `replace` (single-valued SCIM attributes).
    let singleValuedTypes: Set<String>

    func plan(current: LDAPEntry, desired: [(String, [[UInt8]])]) -> [LDAPModification] {
        var currentByDescription: [String: (name: String, values: [[UInt8]])] = [:]
        for attribute in current.attributes where ownedTypes.contains(attribute.type.lowercased()) {
            currentByDescription[Self.key(attribute.description)] = (attribute.description, attribute.values)
        }
        var desiredByDescription: [String: (name: String, values: [[UInt8]])] = [:]
        var order: [String] = []
        for (description, values) in desired where ownedTypes.contains(Self.type(of: description)) {
            let key = Self.key(description)
            if desiredByDescription[key] == nil { order.append(key) }
            desiredByDescription[key, default: (description, [])].values += values
        }
        var deletes: [LDAPModification] = []
        var changes: [LDAPModification] = []
        // Attributes that disappear entirely.
        for (key, attribute) in currentByDescription.sorted(by: { $0.key < $1.key }) where desiredByDescription[key] == nil {
            deletes.append(LDAPModification(.delete, attribute.name, []))
        }
        for key in order {
            guard let wanted = desiredByDescription[key] else { continue }
            let values = Self.unique(wanted.values)
            guard let existing = currentByDescription[key] else {
                // Single-valued types are replaced even when not read (userPassword never is): an add would keep
                // the old value next to the new one.
                changes.append(LDAPModification(singleValuedTypes.contains(Self.type(of: key)) ? .replace : .add, wanted.name, values))
                continue
            }
            let existingSet = Set(existing.values)
            let wantedSet = Set(values)
            if existingSet == wantedSet { continue }
            if singleValuedTypes.contains(Self.type(of: key)) {
                changes.append(LDAPModification(.replace, wanted.name, values))
                continue
            }
            let removed = existing.values.filter { !wantedSet.contains($0) }
            let added = values.filter { !existingSet.contains($0) }
            if !removed.isEmpty { deletes.append(LDAPModification(.delete, existing.name, removed)) }
            if !added.isEmpty { changes.append(LDAPModification(.add, wanted.name, added)) }
        }
        return deletes + changes
    }

    /// Descriptions compare case-insensitively with options in any order.
    static func key(_ description: String) -> String {
        let parts = description.lowercased().split(separator: ";").map(String.init)
        return ([parts[0]] + parts.dropFirst().sorted()).joined(separator: ";")
    }

    static func type(of description: String) -> String {
        String(description.lowercased().split(separator: ";").first ?? "")
    }

    static func unique(_ values: [[UInt8]]) -> [[UInt8]] {
        var seen: Set<[UInt8]> = []
        return values.filter { seen.insert($0).inserted }
    }
}
