import Foundation
import LDAPClient
import OrderedCollections
import SCIMCore

/// Turns a validated SCIM resource into the LDAP attributes of a new entry.
struct EntryEncoder {
    /// Longest naming (RDN) value accepted.
    static let maxNamingValueBytes = 256
    let mapping: ResourceMapping
    /// DNs for referenced ids (manager, members), resolved beforehand.
    var referenceDNs: [String: String] = [:]
    /// Members stored by a value of theirs (`membership.value`, posixGroup's memberUid): id → that value.
    var memberValues: [String: String]?

    struct Encoded {
        var attributes: [(String, [[UInt8]])]
        var rdnValue: String
        /// Lower-cased LDAP types filled by a `derived` rule (the resource held no value of their own).
        var derivedTypes: Set<String> = []
    }

    func encodeNew(_ resource: JSONValue) throws(SCIMError) -> Encoded {
        let (attributes, derived) = try encodeAttributes(resource, lenient: false)
        guard let rdn = attributes[mapping.rdnAttribute]?.first, !rdn.isEmpty else {
            throw SCIMError.invalidValue("a value for the attribute stored in \(mapping.rdnAttribute) is required")
        }
        // The value names the entry: back-mdb keys entries by DN and refuses long ones with a bare "other" (80).
        guard rdn.count <= Self.maxNamingValueBytes else {
            throw SCIMError.invalidValue("the value stored in \(mapping.rdnAttribute) may be at most \(Self.maxNamingValueBytes) bytes long")
        }
        return Encoded(
            attributes: attributes.map { ($0.key, $0.value) }, rdnValue: String(decoding: rdn, as: UTF8.self),
            derivedTypes: derived)
    }

    /// The LDAP values a resource *as the gateway returned it* stands for: what SCIM can see of an entry. An
    /// attribute that cannot be encoded (a reference that no longer resolves) contributes nothing.
    func encodeView(_ resource: JSONValue) -> Encoded {
        let (attributes, derived) = (try? encodeAttributes(resource, lenient: true)) ?? ([:], [])
        let rdn = attributes[mapping.rdnAttribute]?.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Encoded(attributes: attributes.map { ($0.key, $0.value) }, rdnValue: rdn, derivedTypes: derived)
    }

    private func encodeAttributes(_ resource: JSONValue, lenient: Bool) throws(SCIMError)
        -> (OrderedDictionary<String, [[UInt8]]>, Set<String>)
    {
        var attributes: OrderedDictionary<String, [[UInt8]]> = ["objectClass": mapping.objectClasses.map { Array($0.utf8) }]
        for attribute in mapping.attributes {
            guard let value = resource.value(at: attribute.path) else { continue }
            let encoded: [(String, [[UInt8]])]
            if lenient {
                guard let values = try? encode(attribute, value) else { continue }
                encoded = values
            } else {
                encoded = try encode(attribute, value)
            }
            for (description, values) in encoded where !values.isEmpty {
                attributes[description, default: []] += values
            }
        }
        var derived: Set<String> = []
        for rule in mapping.derivedRules where attributes[rule.ldap] == nil {
            let source = rule.sources.lazy.compactMap { source -> String? in
                let values = source.paths.compactMap { resource.value(at: $0)?.stringValue }.filter { !$0.isEmpty }
                return values.isEmpty ? nil : values.joined(separator: " ")
            }.first
            if let source {
                attributes[rule.ldap] = [Array(source.utf8)]
                derived.insert(rule.ldap.lowercased())
            }
        }
        if let membership = mapping.membership, attributes[membership.attribute]?.isEmpty ?? true {
            if let placeholder = membership.placeholder { attributes[membership.attribute] = [Array(placeholder.utf8)] }
        }
        return (attributes, derived)
    }

    func encode(_ attribute: AttributeMapping, _ value: JSONValue) throws(SCIMError) -> [(String, [[UInt8]])] {
        switch attribute.kind {
        case .string:
            guard let text = value.stringValue else { return [] }
            return text.isEmpty ? [] : [(attribute.ldap, [Array(text.utf8)])]
        case .strings:
            let texts = (value.arrayValue ?? [value]).compactMap(\.stringValue).filter { !$0.isEmpty }
            var unique: [[UInt8]] = []
            for text in texts where !unique.contains(Array(text.utf8)) { unique.append(Array(text.utf8)) }
            return unique.isEmpty ? [] : [(attribute.ldap, unique)]
        case .boolean:
            guard let flag = value.boolValue else { return [] }
            return [(attribute.ldap, [Array((flag ? "TRUE" : "FALSE").utf8)])]
        case .password:
            guard let text = value.stringValue, !text.isEmpty else { return [] }
            return [(attribute.ldap, [Array(text.utf8)])]
        case .active(let settings):
            guard let flag = value.boolValue else { return [] }
            var out: [(String, [[UInt8]])] = []
            if !flag {
                out.append((attribute.ldap, [Array(settings.inactiveValue.utf8)]))
            } else if let value = settings.activeValue {
                out.append((attribute.ldap, [Array(value.utf8)]))
            }
            if let marker = settings.marker { out.append((marker, [Array((flag ? "TRUE" : "FALSE").utf8)])) }
            return out
        case .reference:
            guard let id = value["value"]?.stringValue ?? value.stringValue else { return [] }
            guard let dn = referenceDNs[id] else { throw SCIMError.invalidValue("\(attribute.scim) \(id) does not exist") }
            return [(attribute.ldap, [Array(dn.utf8)])]
        case .members:
            let ids = (value.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
            var dns: [[UInt8]] = []
            for id in ids {
                guard let dn = memberValues.map({ $0[id] }) ?? referenceDNs[id] else {
                    throw SCIMError.invalidValue("member \(id) does not exist")
                }
                if !dns.contains(Array(dn.utf8)) { dns.append(Array(dn.utf8)) }
            }
            return [(attribute.ldap, dns)]
        case .tagged(let tagged):
            return try TaggedAttributeCodec(mapping: attribute, tagged: tagged).encode(value.arrayValue ?? [])
        case .typed(let typed):
            return try TypedAttributeCodec(mapping: attribute, typed: typed).encode(value.arrayValue ?? [])
        case .groups:
            return []  // read-only: memberships change through Group.members
        }
    }
}
