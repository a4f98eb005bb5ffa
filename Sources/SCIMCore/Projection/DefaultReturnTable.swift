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

    /// Top-level name → rule (common attributes and the core schema), by the schema's spelling and lower-cased.
    let core: [String: Rule]
    /// Extension URN → attribute name → rule, both by the schema's spelling and lower-cased.
    let extensions: [String: [String: Rule]]

    init(coreSchema: SCIMSchema, extensions: [SCIMSchema]) {
        func table(_ attributes: [SCIMAttribute]) -> [String: Rule] {
            var out: [String: Rule] = [:]
            for attribute in attributes where out[attribute.name.lowercased()] == nil {
                out[attribute.name.lowercased()] = Self.rule(attribute)
                out[attribute.name] = Self.rule(attribute)
            }
            return out
        }
        core = table(CommonAttributes.all + coreSchema.attributes)
        var byURN: [String: [String: Rule]] = [:]
        for schema in extensions where byURN[schema.id.lowercased()] == nil {
            byURN[schema.id.lowercased()] = table(schema.attributes)
            byURN[schema.id] = byURN[schema.id.lowercased()]
        }
        self.extensions = byURN
    }

    /// `table[name]`, case-insensitively: a resource the gateway decoded spells names as the schema does, so the
    /// name is lower-cased only when it is not found as it is.
    private static func lookup<Value>(_ name: String, in table: [String: Value]) -> Value? {
        table[name] ?? table[name.lowercased()]
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
            if let rule = core[key] {
                if !Self.keeps(value, rule) { return false }
                continue
            }
            if let table = Self.lookup(key, in: extensions) {
                guard case .object(let extensionMembers) = value, !extensionMembers.isEmpty else { return false }
                for (member, memberValue) in extensionMembers where !Self.keeps(memberValue, Self.lookup(member, in: table)) {
                    return false
                }
                continue
            }
            if !Self.keeps(value, core[key.lowercased()]) { return false }
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
