import LDAPClient

/// Turns "the entry as it is" and "the attributes it should have" into the smallest list of modifications:
/// attributes the mapping does not own are never touched; multi-valued attributes change value by value (a
/// 10,000-member group gains one member with one `add`), single-valued ones with `replace`.
///
/// Only values SCIM can see are ever removed: `visible` lists, per attribute description key, the current
/// values the SCIM representation expresses; any other value of that attribute (a second `cn` written by
/// another tool, a member outside the gateway's bases) is kept by every plan.
struct ModificationPlanner {
    /// Lower-cased LDAP attribute types the mapping owns (values of other types are left alone).
    let ownedTypes: Set<String>
    /// Lower-cased types written with `replace` (single-valued SCIM attributes).
    let singleValuedTypes: Set<String>
    /// Description key → the current values SCIM sees; a key not listed has every value visible.
    var visible: [String: [[UInt8]]] = [:]
    /// Lower-cased types whose values are DNs: compared as DNs (`cn=Smith\, John` is `cn=Smith\2C John`), so a
    /// member the directory spells differently from the gateway is neither removed nor added again.
    var dnValuedTypes: Set<String> = []

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
        // Attributes that disappear (as far as SCIM can see them). A single-valued SCIM attribute the client
        // removes goes with every value behind it (else the next one would show up as its value); a multi-valued
        // one loses only what SCIM showed.
        for (key, attribute) in currentByDescription.sorted(by: { $0.key < $1.key }) where desiredByDescription[key] == nil {
            let hidden = singleValuedTypes.contains(Self.type(of: key)) ? [] : hiddenValues(key, of: attribute.values)
            if hidden.isEmpty {
                deletes.append(LDAPModification(.delete, attribute.name, []))
            } else {
                let seen = attribute.values.filter { !hidden.contains($0) }
                if !seen.isEmpty { deletes.append(LDAPModification(.delete, attribute.name, seen)) }
            }
        }
        for key in order {
            guard let wanted = desiredByDescription[key] else { continue }
            var values = Self.unique(wanted.values)
            guard let existing = currentByDescription[key] else {
                // Single-valued types are replaced even when not read (userPassword never is): an add would keep
                // the old value next to the new one.
                changes.append(LDAPModification(singleValuedTypes.contains(Self.type(of: key)) ? .replace : .add, wanted.name, values))
                continue
            }
            if dnValuedTypes.contains(Self.type(of: key)) {
                // Wanted DNs the entry already holds in another spelling take the entry's own bytes.
                var spelled: [String: [UInt8]] = [:]
                for value in existing.values { spelled[Self.dnKey(value)] = value }
                values = Self.unique(values.map { spelled[Self.dnKey($0)] ?? $0 })
            }
            let hidden = hiddenValues(key, of: existing.values)
            let existingSet = Set(existing.values)
            let wantedSet = Set(values)
            let kept = existing.values.filter { hidden.contains($0) && !wantedSet.contains($0) }
            if existingSet == wantedSet.union(kept) { continue }
            if singleValuedTypes.contains(Self.type(of: key)) {
                // The new value first (the one SCIM shows), the values SCIM cannot express after it.
                changes.append(LDAPModification(.replace, wanted.name, values + kept))
                continue
            }
            let removed = existing.values.filter { !wantedSet.contains($0) && !hidden.contains($0) }
            let added = values.filter { !existingSet.contains($0) }
            if !removed.isEmpty { deletes.append(LDAPModification(.delete, existing.name, removed)) }
            if !added.isEmpty { changes.append(LDAPModification(.add, wanted.name, added)) }
        }
        return deletes + changes
    }

    /// The current values of `key` SCIM does not see.
    private func hiddenValues(_ key: String, of values: [[UInt8]]) -> Set<[UInt8]> {
        guard let seen = visible[key] else { return [] }
        let seenSet = Set(seen)
        return Set(values.filter { !seenSet.contains($0) })
    }

    static func dnKey(_ value: [UInt8]) -> String { DistinguishedNameKey.key(String(decoding: value, as: UTF8.self)) }

    /// Descriptions compare case-insensitively with options in any order.
    static func key(_ description: String) -> String {
        // Most descriptions carry no options: their key is their lower-cased name, often the name itself.
        guard description.utf8.contains(UInt8(ascii: ";")) else { return lowercasedASCII(description) }
        let parts = description.lowercased().split(separator: ";").map(String.init)
        return ([parts[0]] + parts.dropFirst().sorted()).joined(separator: ";")
    }

    static func type(of description: String) -> String {
        guard description.utf8.contains(UInt8(ascii: ";")) else { return lowercasedASCII(description) }
        return String(description.lowercased().split(separator: ";").first ?? "")
    }

    /// `text.lowercased()`, without a copy when it has no capital letter (and no byte beyond ASCII).
    private static func lowercasedASCII(_ text: String) -> String {
        text.utf8.contains { $0 >= 0x80 || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) } ? text.lowercased() : text
    }

    static func unique(_ values: [[UInt8]]) -> [[UInt8]] {
        var seen: Set<[UInt8]> = []
        return values.filter { seen.insert($0).inserted }
    }
}
