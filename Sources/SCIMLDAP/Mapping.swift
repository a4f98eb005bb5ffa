import Foundation
import LDAPClient
import Yams

/// The declarative mapping of SCIM resource types onto an LDAP directory (see `Config/mapping/*.yaml`).
public struct Mapping: Sendable, Decodable {
    public var version: Int
    public var resourceTypes: [String: ResourceMapping]

    /// LDAP attribute types (lower case) holding passwords: the mapped password attributes, userPassword and
    /// authPassword. The gateway writes them and never reads them.
    public var passwordAttributes: Set<String> {
        var names: Set<String> = ["userpassword", "authpassword"]
        for resource in resourceTypes.values {
            for attribute in resource.attributes where attribute.kind == .password { names.insert(attribute.ldap.lowercased()) }
        }
        return names
    }

    /// Loads a YAML mapping file, replacing `${suffix}` everywhere.
    public static func load(_ url: URL, suffix: String) throws -> Mapping {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try parse(text, suffix: suffix, source: url.lastPathComponent)
    }

    public static func parse(_ text: String, suffix: String, source: String = "mapping") throws -> Mapping {
        let substituted = text.replacingOccurrences(of: "${suffix}", with: suffix)
        do {
            var mapping = try YAMLDecoder().decode(Mapping.self, from: substituted)
            try mapping.validate()
            // Parse each selection filter once, here, instead of on every request.
            for (name, resource) in mapping.resourceTypes {
                guard let text = resource.filter else { continue }
                guard let parsed = SimpleFilterParser.parse(text) else {
                    throw MappingError("\(name).filter: cannot read \(text) (use (attr=value) terms joined with &)")
                }
                mapping.resourceTypes[name]?.selection = [parsed]
            }
            for (name, resource) in mapping.resourceTypes {
                mapping.resourceTypes[name]?.name = name
                mapping.resourceTypes[name]?.selectionClasses = ResourceMapping.objectClasses(in: resource.selection)
            }
            for name in mapping.resourceTypes.keys { mapping.resourceTypes[name]?.listReadAttributes() }
            for (name, resource) in mapping.resourceTypes {
                mapping.resourceTypes[name]?.derivedRules = (resource.derived ?? [:]).sorted { $0.key < $1.key }.map { ldap, expressions in
                    ResourceMapping.DerivedRule(ldap: ldap, sources: expressions.map { expression in
                        (expression, expression.components(separatedBy: "+").map {
                            AttributeMapping.split($0.trimmingCharacters(in: .whitespaces))
                        })
                    })
                }
            }
            return mapping
        } catch let error as MappingError {
            throw error
        } catch {
            throw MappingError("\(source): \(error)")
        }
    }

    func validate() throws {
        guard version == 1 else { throw MappingError("unsupported mapping version \(version) (expected 1)") }
        for (name, resource) in resourceTypes {
            for attribute in resource.attributes where attribute.ldap.isEmpty {
                throw MappingError("\(name).\(attribute.scim): empty ldap attribute")
            }
            for attribute in resource.attributes where attribute.kind == .typed {
                guard let types = attribute.types, !types.isEmpty, types.values.allSatisfy({ !$0.isEmpty }) else {
                    throw MappingError("\(name).\(attribute.scim): a typed attribute needs `types` (type: ldap attribute)")
                }
                if let primary = attribute.primaryType, types[primary] == nil {
                    throw MappingError("\(name).\(attribute.scim): primaryType \(primary) is not one of its types")
                }
            }
            for attribute in resource.attributes where attribute.kind == .active && attribute.strategy == .attribute {
                guard attribute.inactiveValue != nil else {
                    throw MappingError("\(name).\(attribute.scim): strategy attribute needs `inactiveValue`")
                }
            }
            if resource.delete == .move && resource.deletedBaseDN == nil {
                throw MappingError("\(name): `delete: move` needs `deletedBaseDN`")
            }
            if resource.attributes.contains(where: { $0.kind == .members }) && resource.membership == nil {
                throw MappingError("\(name): a members attribute needs `membership`")
            }
        }
    }
}

public struct MappingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct ResourceMapping: Sendable, Decodable {
    public enum Scope: String, Sendable, Decodable { case one, sub }
    /// What DELETE does: remove the entry, lock it (the `active` lock), or move it under `deletedBaseDN`.
    public enum DeleteAction: String, Sendable, Decodable { case delete, lock, move }
    public enum UnmappedPolicy: String, Sendable, Decodable { case reject, ignore }
    /// How reads name what they want: every mapped attribute by name (`listed`, the default), or `all`: `*` plus
    /// the operational attributes the mapping uses (slapd answers that faster than a list of dozens of names;
    /// unmapped attributes then travel too, so keep `listed` where entries carry large ones such as jpegPhoto).
    public enum ReadMode: String, Sendable, Decodable { case listed, all }

    /// An organisation's own SCIM extension schema (a JSON file like schema/scim/EnterpriseUser.json, relative to
    /// the mapping file) added to this resource type; its attributes are mapped like any other, by URN path.
    public struct Extension: Sendable, Decodable {
        public var schema: String
        public var required: Bool?
    }

    public struct Membership: Sendable, Decodable {
        public var attribute: String
        /// The DN that stands in for "no members" (refint's placeholder); hidden from SCIM.
        public var placeholder: String?
        /// Members stored by a value of theirs instead of their DN: `uid` for posixGroup's `memberUid`.
        public var value: String?
    }

    public var baseDN: String
    public var scope: Scope
    public var filter: String?
    public var objectClasses: [String]
    public var rdnAttribute: String
    /// When an add with the plain RDN collides (68), retry with a multi-valued RDN adding this attribute set to
    /// a new UUID.
    public var rdnCollision: String?
    public var derived: [String: [String]]?
    public var membership: Membership?
    public var attributes: [AttributeMapping] {
        didSet { listReadAttributes() }
    }
    public var delete: DeleteAction?
    public var read: ReadMode?
    /// What a write carrying a SCIM attribute this mapping does not store gets: `reject` (400 invalidValue, the
    /// default) or `ignore` (dropped silently).
    public var unmapped: UnmappedPolicy?
    /// SCIM attributes dropped silently even when `unmapped` is `reject` (e.g. `nickName` from an IdP that
    /// always sends it).
    public var ignore: [String]?
    public var extensions: [Extension]?
    /// `delete: move` only: where deleted entries go (outside `baseDN`).
    public var deletedBaseDN: String?
    /// Values a new entry gets for LDAP attributes the resource does not fill (posixAccount's `homeDirectory`,
    /// `gidNumber`, `loginShell`): a template where `{userName}` (any SCIM path) takes the resource's value.
    public var defaults: [String: String]?
    /// Numbers allocated to new entries (posixAccount's `uidNumber`, posixGroup's `gidNumber`) from a counter
    /// entry, race-free: LDAP attribute → allocation.
    public var allocate: [String: NumberAllocation]?
    /// ppolicy's per-user password state shown as a read-only extension (see `PasswordPolicyMapping`); nil: off.
    public var passwordPolicy: PasswordPolicyMapping?
    /// `filter` as LDAP filter terms, parsed when the mapping is loaded.
    public internal(set) var selection: [LDAPFilter] = []
    /// The resource type's name (its key in the mapping file).
    public internal(set) var name = ""
    /// The classes `selection` requires when it is only objectClass terms (decidable on a read entry), else nil.
    public internal(set) var selectionClasses: [String]?
    /// `derived`, parsed when the mapping is loaded: per LDAP attribute (sorted), each source expression as the
    /// SCIM paths it joins with a space, and the expression text.
    public internal(set) var derivedRules: [DerivedRule] = []
    /// Every LDAP attribute read for a whole resource (operational ones included, passwords never): what the
    /// service account must be able to read. Listed when the mapping loads; `readAttributesWithoutMembers` leaves
    /// out the membership attribute (for `excludedAttributes=members`).
    public private(set) var readAttributes: [String] = []
    public private(set) var readAttributesWithoutMembers: [String] = []

    mutating func listReadAttributes() {
        var all = EntryDecoder.operational
        var withoutMembers = EntryDecoder.operational
        for attribute in attributes where attribute.kind != .password {
            all += attribute.ldapAttributes
            if attribute.kind != .members { withoutMembers += attribute.ldapAttributes }
        }
        if passwordPolicy?.showsState == true {
            all += PasswordStateAttributes.read
            withoutMembers += PasswordStateAttributes.read
        }
        func unique(_ names: [String]) -> [String] {
            var seen = Set<String>()
            return names.filter { seen.insert($0.lowercased()).inserted }
        }
        readAttributes = unique(all)
        readAttributesWithoutMembers = unique(withoutMembers)
    }

    public struct DerivedRule: Sendable {
        public var ldap: String
        public var sources: [(expression: String, paths: [(urn: String?, attribute: String, sub: String?)])]
    }

    enum CodingKeys: String, CodingKey {
        case baseDN, scope, filter, objectClasses, rdnAttribute, rdnCollision, derived, membership, attributes, delete,
             deletedBaseDN, unmapped, ignore, extensions, read, defaults, allocate, passwordPolicy
    }
}

/// One SCIM attribute's mapping. A class, built once when the mapping loads and never changed: request paths
/// iterate these dozens of times per request, and sharing them (with the SCIM path parsed once) keeps that cheap.
public final class AttributeMapping: Sendable, Decodable {
    public enum Kind: String, Sendable, Decodable {
        case string, boolean, tagged, reference, members, password, active
        /// read-only group memberships (direct and nested) from an operational attribute such as memberOf
        case groups
        /// a multi-valued complex SCIM attribute whose `type` selects standard LDAP attributes (classic
        /// directories: work e-mail in `mail`, mobile phone in `mobile`, work address in `street`, `l`, ...)
        case typed
        /// a multi-valued SCIM string (or other simple type) <-> the values of one LDAP attribute
        case strings
    }

    /// `active` strategies: ppolicy's permanent lock, or a plain attribute holding given values.
    public enum ActiveStrategy: String, Sendable, Decodable { case ppolicy, attribute }

    /// SCIM path: `userName`, `name.givenName`, or an extension attribute by its full URN path.
    public let scim: String
    public let ldap: String
    public let kind: Kind
    public let display: String?
    public let subAttributes: [String: String]?
    public let binary: Bool?
    public let mirror: [String: String]?
    /// `tagged` with sub-attributes only: SCIM type → sub-attribute → standard LDAP attribute written from the
    /// first value of that type (work address → street, l, st, postalCode, postalAddress), and read back when
    /// the tagged attributes are empty (entries written by other tools).
    public let mirrorSubAttributes: [String: [String: String]]?
    /// `active` only: a Boolean attribute recording that a client set `active`, so an unset (or removed) value is
    /// not reported as true.
    public let marker: String?
    /// `active` only: `ppolicy` (default) or `attribute` (`ldap` holds `inactiveValue` when active is false and
    /// `activeValue`, or nothing, when true).
    public let strategy: ActiveStrategy?
    public let activeValue: String?
    public let inactiveValue: String?
    /// `typed` only: SCIM type → sub-attribute → LDAP attribute (`work: { value: mail }`).
    public let types: [String: [String: String]]?
    /// `typed` only: the type whose first value is the primary one.
    public let primaryType: String?
    /// The path split into extension URN (nil for core), attribute, and optional sub-attribute.
    public let path: (urn: String?, attribute: String, sub: String?)
    /// Every LDAP attribute type this mapping reads.
    public let ldapAttributes: [String]

    public init(scim: String, ldap: String, kind: Kind) {
        self.scim = scim
        self.ldap = ldap
        self.kind = kind
        display = nil
        subAttributes = nil
        binary = nil
        mirror = nil
        mirrorSubAttributes = nil
        marker = nil
        strategy = nil
        activeValue = nil
        inactiveValue = nil
        types = nil
        primaryType = nil
        path = Self.split(scim)
        ldapAttributes = [ldap]
        taggedParts = Self.taggedParts(ldap: ldap, subAttributes: nil, display: nil)
        typeBits = Self.typeBits(ldapAttributes)
    }

    /// `LDAPEntry.typeBit` of every LDAP attribute this mapping reads: an entry without any of them holds no
    /// value of it.
    public let typeBits: UInt64

    static func typeBits(_ names: [String]) -> UInt64 {
        names.reduce(0) { $0 | LDAPEntry.typeBit($1) }
    }

    /// For tagged attributes: which LDAP attribute holds which sub-attribute (`value`, or each of
    /// `subAttributes` sorted by name), then `display`. Listed once here; every read walks it.
    public let taggedParts: [(sub: String, ldap: String)]

    static func taggedParts(ldap: String, subAttributes: [String: String]?, display: String?) -> [(sub: String, ldap: String)] {
        let values = subAttributes.map { $0.sorted { $0.key < $1.key }.map { (sub: $0.key, ldap: $0.value) } } ?? [("value", ldap)]
        return values + (display.map { [("display", $0)] } ?? [])
    }

    enum CodingKeys: String, CodingKey {
        case scim, ldap, kind, display, subAttributes, binary, mirror, marker, strategy, activeValue, inactiveValue, types,
             primaryType, mirrorSubAttributes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scim = try c.decode(String.self, forKey: .scim)
        kind = try c.decode(Kind.self, forKey: .kind)
        display = try c.decodeIfPresent(String.self, forKey: .display)
        subAttributes = try c.decodeIfPresent([String: String].self, forKey: .subAttributes)
        binary = try c.decodeIfPresent(Bool.self, forKey: .binary)
        mirror = try c.decodeIfPresent([String: String].self, forKey: .mirror)
        mirrorSubAttributes = try c.decodeIfPresent([String: [String: String]].self, forKey: .mirrorSubAttributes)
            .map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.lowercased(), $0.value) }) }
        marker = try c.decodeIfPresent(String.self, forKey: .marker)
        strategy = try c.decodeIfPresent(ActiveStrategy.self, forKey: .strategy)
        activeValue = try c.decodeIfPresent(String.self, forKey: .activeValue)
        inactiveValue = try c.decodeIfPresent(String.self, forKey: .inactiveValue)
        let primaryType = try c.decodeIfPresent(String.self, forKey: .primaryType)?.lowercased()
        self.primaryType = primaryType
        // `types: { work: mail }` is short for `types: { work: { value: mail } }`.
        var types: [String: [String: String]]?
        if let full = try? c.decodeIfPresent([String: [String: String]].self, forKey: .types) {
            types = Dictionary(uniqueKeysWithValues: full.map { ($0.key.lowercased(), $0.value) })
        } else if let short = try c.decodeIfPresent([String: String].self, forKey: .types) {
            types = Dictionary(uniqueKeysWithValues: short.map { ($0.key.lowercased(), ["value": $0.value]) })
        }
        self.types = types
        var ldap = try c.decodeIfPresent(String.self, forKey: .ldap) ?? ""
        if kind == .typed, ldap.isEmpty {
            ldap = types?[primaryType ?? ""]?["value"]
                ?? types?.sorted { $0.key < $1.key }.first?.value.sorted { $0.key < $1.key }.first?.value ?? ""
        }
        self.ldap = ldap
        path = Self.split(scim)
        var names = [ldap]
        if let display { names.append(display) }
        if let subAttributes { names += subAttributes.values.sorted() }
        if let mirror { names += mirror.values.sorted() }
        if let marker { names.append(marker) }
        if let types { for subs in types.values { names += subs.values } }
        if let mirrorSubAttributes { for subs in mirrorSubAttributes.values { names += subs.values } }
        ldapAttributes = Array(Set(names)).sorted()
        taggedParts = Self.taggedParts(ldap: ldap, subAttributes: subAttributes, display: display)
        typeBits = Self.typeBits(ldapAttributes)
    }

    /// `urn:...:User:manager` → (urn, manager, nil); `name.givenName` → (nil, name, givenName).
    static func split(_ scim: String) -> (urn: String?, attribute: String, sub: String?) {
        var rest = scim
        var urn: String?
        if scim.lowercased().hasPrefix("urn:"), let colon = scim.lastIndex(of: ":") {
            urn = String(scim[..<colon])
            rest = String(scim[scim.index(after: colon)...])
        }
        let parts = rest.split(separator: ".", maxSplits: 1).map(String.init)
        return (urn, parts.first ?? "", parts.count > 1 ? parts[1] : nil)
    }

    /// The value `ldap` holds for an inactive account.
    var inactiveLDAPValue: String {
        strategy == .attribute ? (inactiveValue ?? "FALSE") : ActiveLock.permanentLock
    }
}
