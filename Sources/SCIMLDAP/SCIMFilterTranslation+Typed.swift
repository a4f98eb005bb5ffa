import LDAPClient
import SCIMCore

/// Filters on `typed` attributes (classic directories): the type names the LDAP attributes, so
/// `emails[type eq "work"].value eq "x"` is `(mail=x)` and `emails.value eq "x"` tries every type's attribute.
extension SCIMFilterTranslation {
    func typed(
        _ settings: AttributeMapping.Typed, sub: String?, _ op: CompareOp?, _ value: JSONValue?, type: String?,
        label: String
    ) throws(SCIMError) -> LDAPFilter {
        let types = settings.types
        let sub = sub ?? "value"
        if sub.caseInsensitiveEquals("primary") {
            throw SCIMError.invalidFilter("\(label): this directory keeps no primary flag to filter on; use type eq.")
        }
        if op == .ne { return .not(try typed(settings, sub: sub, .eq, value, type: type, label: label)) }
        if sub.caseInsensitiveEquals("type") {
            // Some value has this type: one of that type's attributes is present.
            guard let op else { return .or(types.values.flatMap(\.values).sorted().map { .present($0) }) }
            guard op == .eq, let wanted = value?.stringValue?.lowercased() else {
                throw SCIMError.invalidFilter("\(label) supports eq, ne and pr.")
            }
            guard let subs = types[wanted] else { return .alwaysFalse }
            return .or(subs.values.sorted().map { .present($0) })
        }
        let selected = type.map { [$0] } ?? types.keys.sorted()
        let targets = Array(Set(selected.compactMap { types[$0]?.first { $0.key.caseInsensitiveEquals(sub) }?.value })).sorted()
        guard !targets.isEmpty else { return .alwaysFalse }
        var text = try stringValue(value, op, label)
        let alternatives = try targets.map { ldap throws(SCIMError) -> LDAPFilter in
            if PostalAddressSyntax.applies(to: ldap), let plain = text { text = PostalAddressSyntax.encode(plain) }
            return try compare(ldap, op, text, label: label)
        }
        return alternatives.count == 1 ? alternatives[0] : .or(alternatives)
    }

    /// `[type eq "work" and value co "x"]`: the type selects attributes, the other terms compare them.
    func typedValuePath(_ settings: AttributeMapping.Typed, _ inner: SCIMFilter, label: String) throws(SCIMError) -> LDAPFilter {
        if case .or(let l, let r) = inner {
            return .or([try typedValuePath(settings, l, label: label), try typedValuePath(settings, r, label: label)])
        }
        var terms: [SCIMFilter] = []
        func flatten(_ filter: SCIMFilter) { if case .and(let l, let r) = filter { flatten(l); flatten(r) } else { terms.append(filter) } }
        flatten(inner)
        var type: String?
        var conditions: [(sub: String, op: CompareOp?, value: JSONValue?)] = []
        for term in terms {
            switch term {
            case .compare(let p, .eq, let v) where p.attribute.caseInsensitiveEquals("type") && v.stringValue != nil:
                guard type == nil else { throw SCIMError.invalidFilter("\(label)[...] names type twice.") }
                type = v.stringValue?.lowercased()
            case .compare(let p, let op, let v) where !p.attribute.caseInsensitiveEquals("type"):
                conditions.append((p.attribute, op, v))
            case .present(let p) where !p.attribute.caseInsensitiveEquals("type"):
                conditions.append((p.attribute, nil, nil))
            default:
                throw SCIMError.invalidFilter(
                    "\(label)[\(inner)] cannot be evaluated exactly by the directory: use type eq and conditions joined by and.")
            }
        }
        if let type, settings.types[type] == nil { return .alwaysFalse }
        if conditions.isEmpty {
            return try typed(settings, sub: "type", type == nil ? nil : .eq, type.map { .string($0) }, type: nil, label: label)
        }
        let parts = try conditions.map { condition throws(SCIMError) in
            try typed(settings, sub: condition.sub, condition.op, condition.value, type: type, label: "\(label).\(condition.sub)")
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }
}
