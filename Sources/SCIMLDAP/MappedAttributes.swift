import OrderedCollections
import SCIMCore

/// Which SCIM attributes (and sub-attributes) a resource mapping stores, so that a write carrying anything else is
/// refused (400 invalidValue) or dropped where the mapping says so, and discovery advertises only what is stored.
public struct MappedAttributes: Sendable {
    /// "urn|attribute" (lower case, empty urn for the core schema) → the stored sub-attributes (nil: all of them).
    private var stored: [String: Set<String>?] = [:]
    private var ignored: Set<String> = []
    private let ignoresAll: Bool

    public init(_ mapping: ResourceMapping) {
        ignoresAll = mapping.unmapped == .ignore
        for attribute in mapping.attributes {
            let path = attribute.path
            let key = Self.key(path.schemaURN, path.attribute)
            var subs: Set<String>?
            switch attribute.kind {
            case .reference, .members, .groups, .strings:
                subs = nil
            case .tagged(let tagged):
                var names: Set<String> = ["value", "type", "primary"]
                if tagged.display != nil { names.insert("display") }
                if let more = tagged.subAttributes { names.formUnion(more.keys.map { $0.lowercased() }) }
                subs = names
            case .typed(let typed):
                var names: Set<String> = ["type"]
                if typed.primaryType != nil { names.insert("primary") }
                for types in typed.types.values { names.formUnion(types.keys.map { $0.lowercased() }) }
                subs = names
            case .string, .boolean, .password, .active:
                subs = path.subAttribute.map { [$0.lowercased()] } ?? nil
            }
            if let existing = stored[key] {
                // name.givenName and name.familyName: the sub-attributes add up.
                switch (existing, subs) {
                case (let a?, let b?): stored[key] = a.union(b)
                default: stored[key] = .some(nil)
                }
            } else {
                stored[key] = .some(subs)
            }
        }
        if mapping.passwordPolicy?.showsState == true {
            // Read-only (computed from ppolicy): advertised, and dropped from writes by the schema's mutability.
            stored[Self.key(PasswordStateAttributes.schema, PasswordStateAttributes.attribute)] = .some(nil)
        }
        for path in mapping.ignore ?? [] {
            let parsed = AttributePath(mappingPath: path)
            ignored.insert(Self.key(parsed.schemaURN, parsed.attribute) + (parsed.subAttribute.map { "." + $0.lowercased() } ?? ""))
        }
    }

    static func key(_ urn: String?, _ attribute: String) -> String {
        (urn?.lowercased() ?? "") + "|" + attribute.lowercased()
    }

    /// Whether `attribute` (and `sub`, when given) of schema `urn` (nil or the core schema's id: core) is stored.
    public func stores(urn: String?, attribute: String, sub: String?, coreSchema: String) -> Bool {
        let schema = urn.flatMap { $0.caseInsensitiveEquals(coreSchema) ? nil : $0 }
        if schema == nil, ["id", "meta", "schemas"].contains(attribute.lowercased()) { return true }
        guard let entry = stored[Self.key(schema, attribute)] else { return false }
        guard let sub, let subs = entry else { return true }
        return subs.contains(sub.lowercased())
    }

    /// The resource without unmapped attributes the mapping ignores; throws 400 invalidValue naming the first
    /// unmapped attribute it does not ignore.
    public func enforce(_ resource: JSONValue, type: ResolvedResourceType) throws(SCIMError) -> JSONValue {
        guard case .object(var members) = resource else { return resource }
        let core = type.coreSchema.id
        for (key, value) in members {
            if let ext = type.extensionSchema(urn: key) {
                guard case .object(var inner) = value else { continue }
                for (name, innerValue) in inner {
                    guard let kept = try check(urn: ext.id, name, innerValue, core: core) else {
                        inner.removeValue(forKey: name)
                        continue
                    }
                    inner[name] = kept
                }
                members[key] = inner.isEmpty ? nil : .object(inner)
                continue
            }
            if key.caseInsensitiveEquals("schemas") { continue }
            guard let kept = try check(urn: nil, key, value, core: core) else {
                members.removeValue(forKey: key)
                continue
            }
            members[key] = kept
        }
        return .object(members)
    }

    /// The value with ignored sub-attributes removed, or nil when the whole attribute is ignored.
    private func check(urn: String?, _ name: String, _ value: JSONValue, core: String) throws(SCIMError) -> JSONValue? {
        let label = urn.map { "\($0):\(name)" } ?? name
        guard stores(urn: urn, attribute: name, sub: nil, coreSchema: core) else {
            if ignores(urn: urn, name, sub: nil) { return nil }
            throw SCIMError.invalidValue("\(label) is not stored by this directory's mapping.")
        }
        func clean(_ element: JSONValue) throws(SCIMError) -> JSONValue {
            guard case .object(var object) = element else { return element }
            for sub in object.keys where !stores(urn: urn, attribute: name, sub: sub, coreSchema: core) {
                guard ignores(urn: urn, name, sub: sub) else {
                    throw SCIMError.invalidValue("\(label).\(sub) is not stored by this directory's mapping.")
                }
                object.removeValue(forKey: sub)
            }
            return .object(object)
        }
        if case .array(let elements) = value {
            var out: [JSONValue] = []
            for element in elements { out.append(try clean(element)) }
            return .array(out)
        }
        return try clean(value)
    }

    private func ignores(urn: String?, _ name: String, sub: String?) -> Bool {
        if ignoresAll { return true }
        let key = Self.key(urn, name)
        return ignored.contains(key) || (sub.map { ignored.contains(key + "." + $0.lowercased()) } ?? false)
    }
}
