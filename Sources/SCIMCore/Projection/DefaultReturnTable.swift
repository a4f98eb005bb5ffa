public import OrderedCollections

/// What the default projection (no `attributes`, no `excludedAttributes`) does with each attribute of a resource
/// type, decided once from its schemas so a read checks names in a table instead of searching the schemas.
public final class DefaultReturnTable: Sendable, Hashable {
    enum Rule: Sendable {
        /// Returned when assigned.
        case simple
        /// Returned when assigned; a value holding one of these (lower-cased) sub-attributes is not left as it is.
        case complex(hidden: Set<String>)
        /// `returned: never` or `request`.
        case hidden
    }

    /// Lower-cased top-level name → rule (common attributes and the core schema).
    let core: [String: Rule]
    /// Lower-cased extension URN → lower-cased attribute name → rule.
    let extensions: [String: [String: Rule]]

    init(coreSchema: SCIMSchema, extensions: [SCIMSchema]) {
        func table(_ attributes: [SCIMAttribute]) -> [String: Rule] {
            var out: [String: Rule] = [:]
            for attribute in attributes where out[attribute.name.lowercased()] == nil {
                out[attribute.name.lowercased()] = Self.rule(attribute)
            }
            return out
        }
        core = table(CommonAttributes.all + coreSchema.attributes)
        var byURN: [String: [String: Rule]] = [:]
        for schema in extensions where byURN[schema.id.lowercased()] == nil { byURN[schema.id.lowercased()] = table(schema.attributes) }
        self.extensions = byURN
    }

    static func rule(_ attribute: SCIMAttribute) -> Rule {
        guard attribute.returned == .default || attribute.returned == .always else { return .hidden }
        guard attribute.isComplex else { return .simple }
        return .complex(
            hidden: Set(
                attribute.subAttributes.filter { $0.returned == .never || $0.returned == .request }
                    .map { $0.name.lowercased() }))
    }

    /// True when the default projection would return `members` unchanged: nothing `returned: never` or `request`
    /// at any level, and no unassigned value it would drop.
    public func keepsAll(_ members: OrderedDictionary<String, JSONValue>) -> Bool {
        for (key, value) in members {
            let name = key.lowercased()
            if let table = extensions[name] {
                guard case .object(let extensionMembers) = value, !extensionMembers.isEmpty else { return false }
                for (member, memberValue) in extensionMembers where !Self.keeps(memberValue, table[member.lowercased()]) {
                    return false
                }
                continue
            }
            if !Self.keeps(value, core[name]) { return false }
        }
        return true
    }

    private static func keeps(_ value: JSONValue, _ rule: Rule?) -> Bool {
        guard let rule else { return true }  // not in the schema: kept when nothing restricts the output
        switch rule {
        case .hidden:
            return false
        case .simple:
            return !value.isUnassigned
        case .complex(let hidden):
            guard !value.isUnassigned else { return false }
            func keepsElement(_ element: JSONValue) -> Bool {
                guard case .object(let subMembers) = element else { return true }
                if subMembers.isEmpty { return false }
                return hidden.isEmpty || !subMembers.keys.contains { hidden.contains($0.lowercased()) }
            }
            if case .array(let elements) = value { return elements.allSatisfy(keepsElement) }
            return keepsElement(value)
        }
    }

    // Derived from the type's schemas, so it takes no part in comparing types.
    public static func == (lhs: DefaultReturnTable, rhs: DefaultReturnTable) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
