import Foundation
import OrderedCollections

/// Type checks and coercions for one attribute's value.
struct AttributeValueValidator {
    var maxValues: Int

    /// The canonical value, or nil when unassigned (null, empty array).
    func validate(_ value: JSONValue, definition: SCIMAttribute, path: String) throws(SCIMError) -> JSONValue? {
        if value.isNull { return nil }
        guard definition.multiValued else {
            if case .array = value {
                throw SCIMError.invalidValue("The attribute \"\(path)\" is single-valued.")
            }
            return try single(value, definition: definition, path: path)
        }
        let elements = value.arrayValue ?? [value]
        guard elements.count <= maxValues else {
            throw SCIMError.invalidValue("The attribute \"\(path)\" has more than \(maxValues) values.")
        }
        var out: [JSONValue] = []
        out.reserveCapacity(elements.count)
        for element in elements where !element.isNull {
            if case .array = element {
                throw SCIMError.invalidValue("The attribute \"\(path)\" cannot hold nested arrays.")
            }
            if let v = try single(element, definition: definition, path: path) { out.append(v) }
        }
        if definition.isComplex, out.filter({ $0["primary"]?.boolValue == true }).count > 1 {
            throw SCIMError.invalidValue("At most one value of \"\(path)\" may be primary.")
        }
        return out.isEmpty ? nil : .array(out)
    }

    private func single(_ value: JSONValue, definition: SCIMAttribute, path: String) throws(SCIMError) -> JSONValue? {
        func wrong(_ expected: String) -> SCIMError {
            .invalidValue("The attribute \"\(path)\" must be \(expected).")
        }
        switch definition.type {
        case .string, .reference:
            guard case .string = value else { throw wrong("a string") }
            return value
        case .boolean:
            guard let b = value.boolValue else { throw wrong("a boolean") }
            return .bool(b)
        case .integer:
            guard let i = value.int64Value else { throw wrong("an integer") }
            return .integer(i)
        case .decimal:
            guard let d = value.doubleValue else { throw wrong("a number") }
            return .number(d)
        case .dateTime:
            guard let s = value.stringValue, SCIMDateTime.parse(s) != nil else { throw wrong("a dateTime such as 2015-09-15T12:00:00Z") }
            return value
        case .binary:
            guard let s = value.stringValue, Data(base64Encoded: s) != nil else { throw wrong("base64-encoded binary") }
            return value
        case .complex:
            return try complex(value, definition: definition, path: path)
        }
    }

    private func complex(_ value: JSONValue, definition: SCIMAttribute, path: String) throws(SCIMError) -> JSONValue? {
        var members: OrderedDictionary<String, JSONValue>
        switch value {
        case .object(let o):
            members = o
        case .string, .integer, .number, .bool:
            // A bare value stands for the `value` sub-attribute (Entra's `manager`).
            guard let valueSub = definition.subAttribute(named: "value") else {
                throw SCIMError.invalidValue("The attribute \"\(path)\" must be an object.")
            }
            members = [valueSub.name: value]
        default:
            throw SCIMError.invalidValue("The attribute \"\(path)\" must be an object.")
        }
        var found: [String: JSONValue] = [:]
        var seen = Set<String>()
        for (key, member) in members {
            guard seen.insert(key.lowercased()).inserted else {
                throw SCIMError.invalidSyntax("The attribute \"\(path).\(key.prefix(200))\" appears more than once.")
            }
            // Unknown sub-attributes are ignored: Entra sends e.g. `displayName` in members.
            guard let sub = definition.subAttribute(named: key), sub.mutability != .readOnly else { continue }
            guard !sub.isComplex else { continue }
            if let v = try validate(member, definition: sub, path: path + "." + sub.name) {
                found[sub.name] = v
            }
        }
        var out = OrderedDictionary<String, JSONValue>()
        for sub in definition.subAttributes {
            if let v = found[sub.name] {
                out[sub.name] = v
            } else if sub.required, sub.mutability != .readOnly {
                throw SCIMError.invalidValue("The attribute \"\(path).\(sub.name)\" is required.")
            }
        }
        return out.isEmpty ? nil : .object(out)
    }
}
