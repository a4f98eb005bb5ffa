import Foundation
import LDAPClient
import OrderedCollections
import SCIMCore

/// Turns an LDAP entry into a SCIM resource according to a `ResourceMapping`.
struct EntryDecoder {
    let mapping: ResourceMapping
    let type: ResolvedResourceType
    let baseURL: String
    /// DN → id of referenced entries (manager, members), resolved beforehand in batches.
    var references: [String: ResolvedReference] = [:]
    /// Entry DN key → nested (indirect) group DN keys, for the `groups` attribute.
    var indirectGroups: [String: Set<String>] = [:]
    /// Policy DN key → pwdPolicy, for `passwordState` (read beforehand; nil when the mapping shows no state).
    var passwordPolicies: [String: PasswordPolicy]?

    struct ResolvedReference: Sendable {
        var id: String
        var display: String?
        var resourceType: String
    }

    /// Operational attributes every read asks for.
    static let operational = ["entryUUID", "entryCSN", "createTimestamp", "modifyTimestamp"]

    func decode(_ entry: LDAPEntry) throws -> StoredResource {
        guard let id = entry.string("entryUUID") else { throw SCIMError.internal() }
        let version = Self.version(entry)
        var values: [(AttributeMapping, JSONValue)] = []
        values.reserveCapacity(mapping.attributes.count)
        for attribute in mapping.attributes {
            // Most mapped attributes are absent from a given entry: skipped on one bit test. `active` reads
            // true from an entry without its attributes, so it is always decoded.
            guard attribute.kind.name == .active || entry.mayHold(attribute.typeBits) else { continue }
            guard let value = decode(attribute, from: entry) else { continue }
            values.append((attribute, value))
        }
        let state = passwordState(entry)
        // An extension is listed when the entry holds a value of it.
        var schemas: [JSONValue] = [.string(type.coreSchema.id)]
        for urn in type.extensions.lazy.map(\.schema.id)
        where values.contains(where: { $0.0.path.schemaURN?.caseInsensitiveEquals(urn) == true })
            || (state != nil && urn.caseInsensitiveEquals(PasswordStateAttributes.schema))
        {
            schemas.append(.string(urn))
        }
        var resource = JSONValue.object([:])
        resource.set(.array(schemas), at: AttributePath(attribute: "schemas"))
        resource.set(.string(id), at: AttributePath(attribute: "id"))
        for (attribute, value) in values { resource.set(value, at: attribute.path) }
        if let state {
            resource.set(state, at: AttributePath(schemaURN: PasswordStateAttributes.schema, attribute: PasswordStateAttributes.attribute))
        }
        hideDerivedValues(&resource, entry: entry)
        var meta: OrderedDictionary<String, JSONValue> = ["resourceType": .string(type.resourceType.name)]
        if let created = entry.string("createTimestamp").flatMap(GeneralizedTime.rfc3339) { meta["created"] = .string(created) }
        if let modified = entry.string("modifyTimestamp").flatMap(GeneralizedTime.rfc3339) {
            meta["lastModified"] = .string(modified)
        }
        meta["location"] = .string(baseURL + "/" + Self.trimmingSlashes(type.resourceType.endpoint) + "/" + id)
        meta["version"] = .string("W/\"\(version)\"")
        resource.set(.object(meta), at: AttributePath(attribute: "meta"))
        return StoredResource(resource: resource, version: version)
    }

    /// `/Users` → `Users`.
    static func trimmingSlashes(_ endpoint: String) -> Substring {
        var text = Substring(endpoint)
        while text.first == "/" { text = text.dropFirst() }
        while text.last == "/" { text = text.dropLast() }
        return text
    }

    /// The value a single-valued SCIM attribute shows of an LDAP attribute that may hold several (`cn` written
    /// by other tools): the one naming the entry when the attribute is part of the RDN, else the first. The
    /// other values are kept by every write that does not target them (see `VisibleValues`).
    static func shownValue(of type: String, in entry: LDAPEntry) -> String? {
        let values = entry.values(type)
        guard values.count > 1 else { return values.first.map { String(decoding: $0, as: UTF8.self) } }
        if let rdn = try? DistinguishedName(entry.dn).rdn,
            let naming = rdn.assertions.first(where: { $0.type.caseInsensitiveEquals(type) })
        {
            let bytes = Array(naming.stringValue.utf8)
            if let match = values.first(where: { $0 == bytes })
                ?? values.first(where: {
                    String(decoding: $0, as: UTF8.self).lowercased() == naming.stringValue.lowercased()
                })
            {
                return String(decoding: match, as: UTF8.self)
            }
        }
        return String(decoding: values[0], as: UTF8.self)
    }

    /// cn and sn are required by LDAP, so the gateway fills them when a client leaves them out (`derived` in the
    /// mapping). A value equal to what that derivation gives from the other attributes was not sent by the
    /// client and is not returned as if it had been (e.g. name.familyName copied from userName) — but only when
    /// it is the attribute's one value: several values were written by someone else and are shown.
    private func hideDerivedValues(_ resource: inout JSONValue, entry: LDAPEntry) {
        for (rule, own) in mapping.derivedOwners() {
            guard let value = resource.value(at: own.path)?.stringValue,
                entry.values(own.ldap).count == 1
            else { continue }
            let derivable = rule.sources.contains { source in
                source.expression != own.scim && Self.joined(source.paths, in: resource, equals: value)
            }
            if derivable { resource.remove(at: own.path) }
        }
    }

    /// True when every one of `paths` holds a non-empty string in `resource` and they, joined with spaces, are
    /// `value`.
    private static func joined(_ paths: [AttributePath], in resource: JSONValue, equals value: String) -> Bool {
        var parts: [String] = []
        parts.reserveCapacity(paths.count)
        for path in paths {
            guard let part = resource.value(at: path)?.stringValue, !part.isEmpty else { return false }
            parts.append(part)
        }
        return parts.joined(separator: " ") == value
    }

    /// The ETag version: entryCSN, which changes on every write (µs resolution), made header-safe.
    static func version(_ entry: LDAPEntry) -> String {
        let csn = entry.string("entryCSN") ?? entry.string("modifyTimestamp") ?? "0"
        // slapd's CSNs are always safe already (`20261204163904.123456Z#000000#000#000000`).
        if csn.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) { return csn }
        return String(csn.unicodeScalars.filter { $0.isASCII && $0 != "\"" && $0 != "\\" })
    }

    private func decode(_ attribute: AttributeMapping, from entry: LDAPEntry) -> JSONValue? {
        switch attribute.kind {
        case .string:
            return Self.shownValue(of: attribute.ldap, in: entry).map { .string($0) }
        case .strings:
            let values = entry.strings(attribute.ldap)
            return values.isEmpty ? nil : .array(values.map { .string($0) })
        case .boolean:
            return entry.string(attribute.ldap).map { .bool($0.uppercased() == "TRUE") }
        case .password:
            return nil
        case .active(let settings):
            if ActiveLock.isInactive(entry, attribute.ldap, settings) { return .bool(false) }
            if settings.marker == nil, let active = settings.activeValue {
                return entry.strings(attribute.ldap).contains { $0.caseInsensitiveEquals(active) } ? .bool(true) : nil
            }
            guard let marker = settings.marker else { return .bool(true) }
            return entry.string(marker) == nil ? nil : .bool(true)
        case .reference:
            guard let dn = entry.string(attribute.ldap) else { return nil }
            guard let target = references[DistinguishedNameKey.key(dn)] else { return nil }
            var object: OrderedDictionary<String, JSONValue> = ["value": .string(target.id)]
            object["$ref"] = .string("\(baseURL)/\(target.resourceType == "Group" ? "Groups" : "Users")/\(target.id)")
            if let display = target.display { object["displayName"] = .string(display) }
            return .object(object)
        case .members:
            let placeholder = mapping.membership?.placeholder.map(DistinguishedNameKey.key)
            let byValue = mapping.membership?.value != nil
            let members: [JSONValue] = entry.strings(attribute.ldap).compactMap { dn in
                let key = byValue ? ReferenceResolver.valueKey(dn) : DistinguishedNameKey.key(dn)
                guard key != placeholder, let target = references[key] else { return nil }
                var object: OrderedDictionary<String, JSONValue> = ["value": .string(target.id)]
                object["$ref"] = .string("\(baseURL)/\(target.resourceType == "Group" ? "Groups" : "Users")/\(target.id)")
                object["type"] = .string(target.resourceType)
                if let display = target.display { object["display"] = .string(display) }
                return .object(object)
            }
            return members.isEmpty ? nil : .array(members)
        case .groups:
            let direct = entry.strings(attribute.ldap).map(DistinguishedNameKey.key)
            let indirect = (indirectGroups[DistinguishedNameKey.key(entry.dn)] ?? []).subtracting(direct).sorted()
            let values: [JSONValue] = (direct.map { ($0, "direct") } + indirect.map { ($0, "indirect") }).compactMap { key, kind in
                guard let target = references[key] else { return nil }
                var object: OrderedDictionary<String, JSONValue> = ["value": .string(target.id)]
                object["$ref"] = .string("\(baseURL)/Groups/\(target.id)")
                if let display = target.display { object["display"] = .string(display) }
                object["type"] = .string(kind)
                return .object(object)
            }
            return values.isEmpty ? nil : .array(values)
        case .tagged(let tagged):
            let values = TaggedAttributeCodec(mapping: attribute, tagged: tagged).decode(entry)
            return values.isEmpty ? nil : .array(values)
        case .typed(let typed):
            let values = TypedAttributeCodec(mapping: attribute, typed: typed).decode(entry)
            return values.isEmpty ? nil : .array(values)
        }
    }
}

/// A DN normalised for lookups (case-insensitive, parsed when possible).
enum DistinguishedNameKey {
    static func key(_ dn: String) -> String {
        // Most DNs (memberOf values, members) hold only letters, digits and `=,.-_`: parsing gives back the same
        // characters, so the key is the lower-cased text, without a parse per value.
        if dn.utf8.allSatisfy(isPlain) { return dn.lowercased() }
        return (try? DistinguishedName(dn).normalized) ?? dn.lowercased()
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}

enum ActiveLock {
    /// ppolicy's "locked until an administrator unlocks" value.
    static let permanentLock = "000001010000Z"

    /// True when the entry's `ldap` holds the inactive value (ppolicy's permanent lock, or the configured value).
    static func isInactive(_ entry: LDAPEntry, _ ldap: String, _ active: AttributeMapping.Active) -> Bool {
        let inactive = active.inactiveValue
        return entry.strings(ldap).contains { active.isPlainAttribute ? $0.caseInsensitiveEquals(inactive) : $0 == inactive }
    }
}

enum GeneralizedTime {
    /// `20261123220102Z` or `20261123220102.123456Z` → `2026-11-23T22:01:02Z`.
    static func rfc3339(_ value: String) -> String? {
        var digits = value.utf8.prefix(14).makeIterator()
        var out: [UInt8] = []
        out.reserveCapacity(20)
        for position in 0..<14 {
            guard let digit = digits.next(), digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            switch position {
            case 4, 6: out.append(UInt8(ascii: "-"))
            case 8: out.append(UInt8(ascii: "T"))
            case 10, 12: out.append(UInt8(ascii: ":"))
            default: break
            }
            out.append(digit)
        }
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
