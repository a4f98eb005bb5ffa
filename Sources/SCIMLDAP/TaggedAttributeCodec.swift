import Foundation
import LDAPClient
import OrderedCollections
import SCIMCore

/// Encodes and decodes one multi-valued complex SCIM attribute stored as option-tagged LDAP values.
struct TaggedAttributeCodec {
    let mapping: AttributeMapping
    let tagged: AttributeMapping.Tagged

    /// The parts that carry the value itself (`taggedParts` without `display`).
    private var valueAttributes: ArraySlice<(sub: String, ldap: String)> {
        mapping.taggedParts.dropLast(tagged.display == nil ? 0 : 1)
    }

    /// Needs an index option to keep the parts of one value together.
    private var spreadsValues: Bool { tagged.subAttributes != nil || tagged.display != nil }

    // MARK: Decode

    func decode(_ entry: LDAPEntry) -> [JSONValue] {
        var groups: OrderedDictionary<TaggedValueOptions, OrderedDictionary<String, JSONValue>> = [:]
        var plainValues: [(TaggedValueOptions, OrderedDictionary<String, JSONValue>)] = []
        for (sub, ldap) in mapping.taggedParts {
            for attribute in entry.attributes(ofType: ldap) where !attribute.options.isEmpty || sub != "display" {
                let options = attribute.options.isEmpty ? TaggedValueOptions.none : TaggedValueOptions(options: attribute.options)
                if !spreadsValues {
                    for value in attribute.values {
                        plainValues.append((options, [sub: scimValue(value, sub: sub)]))
                    }
                    continue
                }
                for value in attribute.values {
                    groups[options, default: [:]][sub] = scimValue(value, sub: sub)
                }
            }
        }
        var values = plainValues
        values.append(contentsOf: groups.lazy.map { ($0.key, $0.value) })
        if values.isEmpty {
            values = mirroredValues(entry)
            values.append(contentsOf: mirroredSubAttributeValues(entry))
        }
        if values.isEmpty { return [] }
        if values.count > 1 {
            values.sort { lhs, rhs in
                // Values carry their position in the client's array; older entries fall back to primary, type.
                if let left = lhs.0.index, let right = rhs.0.index, left != right { return left < right }
                if lhs.0.primary != rhs.0.primary { return lhs.0.primary }
                if (lhs.0.type ?? "") != (rhs.0.type ?? "") { return (lhs.0.type ?? "") < (rhs.0.type ?? "") }
                return (lhs.0.index ?? 0) < (rhs.0.index ?? 0)
            }
        }
        return
            values.map { options, members in
                var object = members
                if let type = options.type { object["type"] = .string(type) }
                // `primary` is returned only when true: false is the default, and clients that never sent it
                // get back exactly what they wrote.
                if options.primary {
                    object["primary"] = .bool(true)
                } else if options.explicitlyNotPrimary {
                    object["primary"] = .bool(false)
                }
                return .object(object)
            }
    }

    /// Values found only in the standard attributes (entries written by other tools), typed by the mirror key.
    private func mirroredValues(_ entry: LDAPEntry) -> [(TaggedValueOptions, OrderedDictionary<String, JSONValue>)] {
        var out: [(TaggedValueOptions, OrderedDictionary<String, JSONValue>)] = []
        for (key, ldap) in tagged.sortedMirror {
            for (position, value) in entry.values(ldap).enumerated() {
                let options =
                    key == "primary"
                    ? TaggedValueOptions(type: nil, primary: position == 0, index: nil)
                    : TaggedValueOptions(type: key, primary: false, index: nil)
                out.append((options, ["value": scimValue(value, sub: "value")]))
            }
        }
        return out
    }

    /// Values found only in the standard attributes a sub-attribute mirror writes (an address in street, l, ...).
    private func mirroredSubAttributeValues(_ entry: LDAPEntry) -> [(TaggedValueOptions, OrderedDictionary<String, JSONValue>)] {
        var out: [(TaggedValueOptions, OrderedDictionary<String, JSONValue>)] = []
        for (type, subs) in tagged.sortedMirrorSubAttributes {
            var object: OrderedDictionary<String, JSONValue> = [:]
            for (sub, ldap) in subs {
                guard let value = entry.string(ldap) else { continue }
                object[sub] = .string(PostalAddressSyntax.applies(to: ldap) ? PostalAddressSyntax.decode(value) : value)
            }
            if !object.isEmpty { out.append((TaggedValueOptions(type: type, primary: false, index: nil), object)) }
        }
        return out
    }

    /// Binary mappings hold raw bytes in the value attribute only; display stays text.
    private func scimValue(_ bytes: [UInt8], sub: String) -> JSONValue {
        tagged.binary && sub == "value"
            ? .string(Data(bytes).base64EncodedString()) : .string(String(decoding: bytes, as: UTF8.self))
    }

    // MARK: Encode

    /// LDAP attribute descriptions and values for a SCIM array of complex values.
    func encode(_ values: [JSONValue]) throws(SCIMError) -> [(String, [[UInt8]])] {
        var out: OrderedDictionary<String, [[UInt8]]> = [:]
        var mirrors: OrderedDictionary<String, [[UInt8]]> = [:]
        for (position, value) in values.enumerated() {
            let type = value["type"]?.stringValue
            let primary = value["primary"]?.boolValue ?? false
            // The position keeps the client's order (LDAP values are unordered) and the parts of a value together.
            // A single value needs no position (and keeps the description entries written before had).
            var options = TaggedValueOptions(type: type, primary: primary, index: values.count > 1 ? position + 1 : nil)
            options.explicitlyNotPrimary = value["primary"]?.boolValue == false
            for (sub, ldap) in valueAttributes {
                guard let text = value[sub]?.stringValue else { continue }
                let bytes = try ldapValue(text, sub: sub)
                let description = options.description(for: ldap)
                if !out[description, default: []].contains(bytes) { out[description, default: []].append(bytes) }
            }
            if let display = tagged.display, let text = value["display"]?.stringValue {
                out[options.description(for: display), default: []].append(Array(text.utf8))
            }
            if let text = value["value"]?.stringValue, let target = mirrorTarget(type: type, primary: primary),
                mirrors[target] == nil, let bytes = try? ldapValue(text, sub: "value"), Self.fitsStandardSyntax(bytes)
            {
                mirrors[target] = [bytes]
            }
        }
        for (type, subs) in tagged.mirrorSubAttributes ?? [:] {
            guard let value = values.first(where: { $0["type"]?.stringValue?.lowercased() == type }) else { continue }
            for (sub, ldap) in subs where mirrors[ldap] == nil {
                guard let text = value[sub]?.stringValue, !text.isEmpty else { continue }
                mirrors[ldap] = [Array((PostalAddressSyntax.applies(to: ldap) ? PostalAddressSyntax.encode(text) : text).utf8)]
            }
        }
        if tagged.mirror?["primary"] != nil, let first = values.first?["value"]?.stringValue,
            let target = tagged.mirror?["primary"], mirrors[target] == nil,
            let bytes = try? ldapValue(first, sub: "value"), Self.fitsStandardSyntax(bytes)
        {
            mirrors[target] = [bytes]
        }
        return out.map { ($0.key, $0.value) } + mirrors.map { ($0.key, $0.value) }
    }

    /// Every LDAP attribute type this codec writes (to clear them on replace).
    var writtenAttributeTypes: [String] { mapping.ldapAttributes }

    private func mirrorTarget(type: String?, primary: Bool) -> String? {
        guard let mirror = tagged.mirror else { return nil }
        if primary, let target = mirror["primary"] { return target }
        if let type { return mirror[type.lowercased()] }
        return nil
    }

    private func ldapValue(_ text: String, sub: String) throws(SCIMError) -> [UInt8] {
        guard tagged.binary, sub == "value" else { return Array(text.utf8) }
        guard let data = Data(base64Encoded: text) else {
            throw SCIMError.invalidValue("\(mapping.scim).value must be base64-encoded")
        }
        return Array(data)
    }

    /// Standard attributes (mail: IA5String, telephoneNumber: printable-ish) refuse non-ASCII: mirror only ASCII.
    private static func fitsStandardSyntax(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}
