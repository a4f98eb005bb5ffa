import Foundation
import LDAPClient
import OrderedCollections
import SCIMCore

/// Encodes and decodes a multi-valued complex SCIM attribute whose `type` picks standard LDAP attributes, the way
/// classic directories hold them: `emails` of type work in `mail`, `phoneNumbers` of type mobile in `mobile`, the
/// work address spread over `street`, `l`, `st`, `postalCode` and `postalAddress`.
///
/// A value of a type the mapping does not list cannot be stored and is refused (400 invalidValue); a type spread
/// over several attributes holds one value. The primary value is the first value of `primaryType`.
struct TypedAttributeCodec {
    let mapping: AttributeMapping
    let typed: AttributeMapping.Typed

    private var types: [String: [String: String]] { typed.types }

    /// Types in a stable order: the primary type first, then by name.
    var orderedTypes: [String] {
        let names = types.keys.sorted()
        guard let primary = typed.primaryType, types[primary] != nil else { return names }
        return [primary] + names.filter { $0 != primary }
    }

    // MARK: Decode

    func decode(_ entry: LDAPEntry) -> [JSONValue] {
        var out: [JSONValue] = []
        for type in orderedTypes {
            guard let subs = types[type] else { continue }
            if subs.count == 1, let ldap = subs["value"] {
                for (position, value) in entry.strings(ldap).enumerated() {
                    var object: OrderedDictionary<String, JSONValue> = ["value": .string(value), "type": .string(type)]
                    if position == 0, type == typed.primaryType { object["primary"] = .bool(true) }
                    out.append(.object(object))
                }
                continue
            }
            var object: OrderedDictionary<String, JSONValue> = [:]
            for (sub, ldap) in subs.sorted(by: { $0.key < $1.key }) {
                guard let value = entry.string(ldap) else { continue }
                object[sub] = .string(PostalAddressSyntax.applies(to: ldap) ? PostalAddressSyntax.decode(value) : value)
            }
            guard !object.isEmpty else { continue }
            object["type"] = .string(type)
            if type == typed.primaryType { object["primary"] = .bool(true) }
            out.append(.object(object))
        }
        return out
    }

    // MARK: Encode

    func encode(_ values: [JSONValue]) throws(SCIMError) -> [(String, [[UInt8]])] {
        var out: OrderedDictionary<String, [[UInt8]]> = [:]
        var used: Set<String> = []
        for value in values {
            let type = try storedType(of: value)
            let subs = types[type] ?? [:]
            let spread = !(subs.count == 1 && subs["value"] != nil)
            if spread {
                guard !used.contains(type) else {
                    throw SCIMError.invalidValue("\(mapping.scim): this directory stores one value of type \"\(type)\".")
                }
            }
            used.insert(type)
            let first = value["primary"]?.boolValue == true && type == typed.primaryType
            for (sub, ldap) in subs.sorted(by: { $0.key < $1.key }) {
                guard let text = value[sub]?.stringValue, !text.isEmpty else { continue }
                let bytes = Array((PostalAddressSyntax.applies(to: ldap) ? PostalAddressSyntax.encode(text) : text).utf8)
                var existing = out[ldap, default: []]
                guard !existing.contains(bytes) else { continue }
                if first { existing.insert(bytes, at: 0) } else { existing.append(bytes) }
                out[ldap] = existing
            }
        }
        return out.map { ($0.key, $0.value) }
    }

    /// The mapping's type for a value: its own `type`, or for an untyped value the primary type (or the only one).
    private func storedType(of value: JSONValue) throws(SCIMError) -> String {
        if let type = value["type"]?.stringValue?.lowercased() {
            guard types[type] != nil else {
                throw SCIMError.invalidValue(
                    "\(mapping.scim) of type \"\(type.prefix(64))\" cannot be stored here; stored types: \(orderedTypes.joined(separator: ", ")).")
            }
            return type
        }
        if let primary = typed.primaryType { return primary }
        if types.count == 1, let only = types.keys.first { return only }
        throw SCIMError.invalidValue("\(mapping.scim) values need a type: \(orderedTypes.joined(separator: ", ")).")
    }
}

/// RFC 4517 Postal Address: lines separated by `$`, with `\` and `$` inside a line escaped as `\5C` and `\24`.
enum PostalAddressSyntax {
    static func applies(to attribute: String) -> Bool {
        ["postaladdress", "homepostaladdress", "registeredaddress"].contains(attribute.lowercased())
    }

    static func encode(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "\\", with: "\\5C").replacingOccurrences(of: "$", with: "\\24") }
            .joined(separator: "$")
    }

    static func decode(_ value: String) -> String {
        value.split(separator: "$", omittingEmptySubsequences: false)
            .map {
                $0.replacingOccurrences(of: "\\24", with: "$").replacingOccurrences(of: "\\5C", with: "\\")
                    .replacingOccurrences(of: "\\5c", with: "\\")
            }
            .joined(separator: "\n")
    }
}
