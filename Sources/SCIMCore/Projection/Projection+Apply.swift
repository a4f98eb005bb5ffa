import OrderedCollections

extension Projection {
    /// Returns `resource` with only the members this projection returns.
    public func apply(to resource: JSONValue, type: ResolvedResourceType) -> JSONValue {
        guard case .object(let members) = resource else { return resource }
        // Most reads name no attributes, and a resource read from the directory rarely holds anything the default
        // leaves out: then it is returned as it is, without rebuilding it.
        if isEmpty && type.defaultReturn.keepsAll(members) { return resource }
        return rebuild(members, type: type)
    }

    /// `apply` without the shortcut: every member decided one by one.
    func rebuild(_ members: OrderedDictionary<String, JSONValue>, type: ResolvedResourceType) -> JSONValue {
        let included = attributes.compactMap { Self.selector($0, type: type) }
        let excluded = excludedAttributes.compactMap { Self.selector($0, type: type) }
        let plan = Plan(restricted: !attributes.isEmpty, included: included, excluded: excluded)

        var out = OrderedDictionary<String, JSONValue>()
        var dropped: [String] = []
        for (key, value) in members {
            if let ext = type.extensionSchema(urn: key) {
                guard let projected = plan.project(extensionObject: value, schema: ext), !projected.isUnassigned else {
                    dropped.append(key)
                    continue
                }
                out[key] = projected
                continue
            }
            let definition = CommonAttributes.attribute(named: key) ?? type.coreSchema.attribute(named: key)
            if let projected = plan.project(key: key, value: value, definition: definition, extensionURN: nil) {
                out[key] = projected
            }
        }
        // `schemas` names the extensions the resource holds: not one whose every attribute was left out (an
        // extension returned only on request).
        if !dropped.isEmpty, let listed = out["schemas"]?.arrayValue {
            out["schemas"] = .array(listed.filter { urn in !dropped.contains { urn.stringValue?.caseInsensitiveEquals($0) == true } })
        }
        return .object(out)
    }
}

/// The decisions of one `apply` call.
private struct Plan {
    /// True when `attributes` was given: only what it names (and `always`) is returned.
    var restricted: Bool
    var included: [Projection.Selector]
    var excluded: [Projection.Selector]

    func project(extensionObject value: JSONValue, schema: SCIMSchema) -> JSONValue? {
        guard case .object(let members) = value else { return nil }
        let wholeIncluded = included.contains { $0.attribute == nil && $0.extensionURN == schema.id }
        let wholeExcluded = excluded.contains { $0.attribute == nil && $0.extensionURN == schema.id }
        if wholeExcluded { return nil }
        var out = OrderedDictionary<String, JSONValue>()
        for (key, member) in members {
            let definition = schema.attribute(named: key)
            let p = wholeIncluded ? Plan(restricted: false, included: [], excluded: excluded) : self
            if let projected = p.project(key: key, value: member, definition: definition, extensionURN: schema.id) {
                out[key] = projected
            }
        }
        return .object(out)
    }

    /// One top-level member; nil when it is not returned.
    func project(key: String, value: JSONValue, definition: SCIMAttribute?, extensionURN: String?) -> JSONValue? {
        func matches(_ s: Projection.Selector) -> Bool {
            s.extensionURN == extensionURN && s.attribute?.caseInsensitiveEquals(key) == true
        }
        guard let definition else {
            // Not in the schema: keep it only when nothing restricts the output.
            return restricted || excluded.contains(where: matches) ? nil : value
        }
        switch definition.returned {
        case .never: return nil
        case .always: return projectSubAttributes(value, definition: definition, selected: nil, excluded: [])
        case .default, .request: break
        }
        let named = included.filter(matches)
        let unnamed = excluded.filter(matches)
        if restricted {
            guard !named.isEmpty else { return nil }
        } else {
            guard definition.returned == .default else { return nil }
        }
        if unnamed.contains(where: { $0.subAttribute == nil }) { return nil }
        let selectedSubs: Set<String>? =
            named.contains { $0.subAttribute == nil } || named.isEmpty
            ? nil : Set(named.compactMap { $0.subAttribute?.lowercased() })
        let excludedSubs = Set(unnamed.compactMap { $0.subAttribute?.lowercased() })
        let projected = projectSubAttributes(value, definition: definition, selected: selectedSubs, excluded: excludedSubs)
        return projected.isUnassigned ? nil : projected
    }

    /// Applies sub-attribute selection to a complex value or an array of them.
    private func projectSubAttributes(
        _ value: JSONValue, definition: SCIMAttribute, selected: Set<String>?, excluded: Set<String>
    ) -> JSONValue {
        guard definition.isComplex else { return value }
        func one(_ element: JSONValue) -> JSONValue {
            guard case .object(let members) = element else { return element }
            var out = OrderedDictionary<String, JSONValue>()
            for (key, member) in members {
                let sub = definition.subAttribute(named: key)
                switch sub?.returned {
                case .never?: continue
                case .always?: out[key] = member; continue
                case .request?: if selected?.contains(key.lowercased()) != true { continue }
                default: break
                }
                if let selected, !selected.contains(key.lowercased()) { continue }
                if excluded.contains(key.lowercased()) { continue }
                out[key] = member
            }
            return .object(out)
        }
        switch value {
        case .array(let elements):
            return .array(elements.map(one).filter { !$0.isUnassigned })
        default:
            return one(value)
        }
    }
}
