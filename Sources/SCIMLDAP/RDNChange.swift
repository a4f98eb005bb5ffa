import LDAPClient
import SCIMCore

/// How a write renames an entry: only when it removes a value that names the entry, and then within the RDN's
/// own shape. `cn=Smith\, John` stays so named when `userName` (uid) changes; `cn=Jane Doe+uid=jdoe` becomes
/// `cn=Jane Doe+uid=jdoe2`, keeping the `cn` assertion.
struct RDNChange {
    /// The new RDN, escaped (`cn=Jane Doe+uid=jdoe2`).
    let newRDN: String
    /// The current RDN as the entry's DN spells it, escaped, to undo the rename.
    let oldRDN: String
    let newDN: String
    /// The entry as the rename leaves it (old naming values gone, new ones present).
    let renamed: LDAPEntry
    /// Description key → the value that replaced it, and the value it replaced.
    let replaced: [(key: String, old: [UInt8], new: [UInt8])]
    /// A new naming value the entry held already (a hidden second `cn`): undoing the rename must keep it.
    let newValueExisted: Bool

    /// nil when the modifications keep every naming value. `preferred`: the values the write wants per type
    /// (the new naming value is the first of them that the entry will hold).
    static func plan(current: LDAPEntry, modifications: [LDAPModification], preferred: [(String, [[UInt8]])])
        throws(SCIMError) -> RDNChange?
    {
        guard let dn = try? DistinguishedName(current.dn), let rdn = dn.rdn else { return nil }
        var assertions = rdn.assertions
        var replaced: [(key: String, old: [UInt8], new: [UInt8])] = []
        for (index, assertion) in rdn.assertions.enumerated() {
            let type = assertion.type
            let before = current.values(type)
            let after = apply(modifications, to: before, type: type)
            if contains(after, assertion.value) { continue }
            if !contains(before, assertion.value) { continue }  // the name and the attribute disagree already: leave it
            let wanted = preferred.filter { ModificationPlanner.key($0.0) == type.lowercased() }.flatMap(\.1)
            guard let value = wanted.first(where: { contains(after, $0) }) ?? after.first else {
                throw SCIMError.mutability("\(type) names the entry and cannot be left without a value")
            }
            assertions[index] = .init(type: type, value: value)
            replaced.append((type.lowercased(), assertion.value, value))
        }
        guard !replaced.isEmpty else { return nil }
        let newRDN = DistinguishedName.RDN(assertions)
        let newDN = DistinguishedName(rdns: [newRDN] + Array(dn.rdns.dropFirst())).description
        // The entry after `modrdn … deleteoldrdn: 1`: each replaced naming value gives way to its successor.
        let attributes = current.attributes.map { attribute -> LDAPEntry.Attribute in
            guard let change = replaced.first(where: { $0.key == ModificationPlanner.key(attribute.description) }) else {
                return attribute
            }
            var values = attribute.values.filter { !equal($0, change.old) }
            if !contains(values, change.new) { values.append(change.new) }
            return LDAPEntry.Attribute(description: attribute.description, values: values)
        }
        let existed = replaced.contains { change in contains(current.values(change.key), change.new) }
        return RDNChange(
            newRDN: newRDN.description, oldRDN: rdn.description, newDN: newDN,
            renamed: LDAPEntry(dn: newDN, attributes: attributes), replaced: replaced, newValueExisted: existed)
    }

    /// The values of `type` (no options) after `modifications`.
    static func apply(_ modifications: [LDAPModification], to values: [[UInt8]], type: String) -> [[UInt8]] {
        var values = values
        for modification in modifications where ModificationPlanner.key(modification.attribute) == type.lowercased() {
            switch modification.operation {
            case .add: values += modification.values.filter { !contains(values, $0) }
            case .replace: values = modification.values
            case .delete:
                values = modification.values.isEmpty ? [] : values.filter { value in !modification.values.contains { equal($0, value) } }
            default: break
            }
        }
        return values
    }

    /// Naming attributes are compared case-insensitively in practice (caseIgnoreMatch): `uid=JDoe` names an
    /// entry whose uid is `jdoe`.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a == b || String(decoding: a, as: UTF8.self).lowercased() == String(decoding: b, as: UTF8.self).lowercased()
    }

    static func contains(_ values: [[UInt8]], _ value: [UInt8]) -> Bool { values.contains { equal($0, value) } }
}
