import OrderedCollections

extension SCIMAttribute {
    /// Reads the RFC 7643 §7 representation. Missing characteristics take their §2.2 defaults.
    public init(json: JSONValue) throws(SchemaLoadError) {
        guard case .object = json else { throw SchemaLoadError("an attribute definition is not an object") }
        guard let name = json["name"]?.stringValue, !name.isEmpty else {
            throw SchemaLoadError("an attribute definition has no name")
        }
        func flag(_ key: String, _ fallback: Bool) throws(SchemaLoadError) -> Bool {
            guard let v = json[key] else { return fallback }
            guard case .bool(let b) = v else { throw SchemaLoadError("attribute \(name): \(key) is not a boolean") }
            return b
        }
        func choice<E: RawRepresentable<String>>(_ key: String, _ fallback: E) throws(SchemaLoadError) -> E {
            guard let v = json[key] else { return fallback }
            guard let s = v.stringValue, let e = E(rawValue: s) else {
                throw SchemaLoadError("attribute \(name): invalid \(key)")
            }
            return e
        }
        func strings(_ key: String) throws(SchemaLoadError) -> [String] {
            guard let v = json[key] else { return [] }
            guard let a = v.arrayValue else { throw SchemaLoadError("attribute \(name): \(key) is not an array") }
            var out: [String] = []
            for element in a {
                guard let s = element.stringValue else { throw SchemaLoadError("attribute \(name): \(key) holds a non-string") }
                out.append(s)
            }
            return out
        }
        var subs: [SCIMAttribute] = []
        if let raw = json["subAttributes"] {
            guard let a = raw.arrayValue else { throw SchemaLoadError("attribute \(name): subAttributes is not an array") }
            for element in a { subs.append(try SCIMAttribute(json: element)) }
        }
        self.init(
            name: name,
            type: try choice("type", DataType.string),
            multiValued: try flag("multiValued", false),
            required: try flag("required", false),
            caseExact: try flag("caseExact", false),
            mutability: try choice("mutability", Mutability.readWrite),
            returned: try choice("returned", Returned.default),
            uniqueness: try choice("uniqueness", Uniqueness.none),
            subAttributes: subs,
            canonicalValues: try strings("canonicalValues"),
            referenceTypes: try strings("referenceTypes"),
            description: json["description"]?.stringValue ?? ""
        )
        if type == .complex, subAttributes.isEmpty {
            throw SchemaLoadError("attribute \(name): complex without subAttributes")
        }
        if type != .complex, !subAttributes.isEmpty {
            throw SchemaLoadError("attribute \(name): subAttributes on a non-complex attribute")
        }
    }

    /// The RFC 7643 §7 representation, as served by `/Schemas`.
    public var json: JSONValue {
        var o = OrderedDictionary<String, JSONValue>()
        o["name"] = .string(name)
        o["type"] = .string(type.rawValue)
        o["multiValued"] = .bool(multiValued)
        o["description"] = .string(description)
        o["required"] = .bool(required)
        if type == .complex {
            o["subAttributes"] = .array(subAttributes.map(\.json))
        } else {
            if !canonicalValues.isEmpty { o["canonicalValues"] = .array(canonicalValues.map(JSONValue.string)) }
            if type == .string || type == .reference || type == .binary { o["caseExact"] = .bool(caseExact) }
            if type == .reference { o["referenceTypes"] = .array(referenceTypes.map(JSONValue.string)) }
        }
        o["mutability"] = .string(mutability.rawValue)
        o["returned"] = .string(returned.rawValue)
        o["uniqueness"] = .string(uniqueness.rawValue)
        return .object(o)
    }
}

/// A schema or resource-type file could not be read; a configuration error, not a SCIM response.
public struct SchemaLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "schema: " + message }
}
