import Foundation
import LDAPClient
import SCIMCore
import Synchronization
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
            for attribute in resource.attributes where attribute.kind.name == .password { names.insert(attribute.ldap.lowercased()) }
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
                    ResourceMapping.DerivedRule(
                        ldap: ldap,
                        sources: expressions.map { expression in
                            (
                                expression,
                                expression.components(separatedBy: "+").map {
                                    AttributePath(mappingPath: $0.trimmingCharacters(in: .whitespaces))
                                }
                            )
                        })
                }
            }
            return mapping
        } catch let error as MappingError {
            throw error
        } catch DecodingError.dataCorrupted(let context) where context.underlyingError is MappingError {
            // An attribute's own check (`AttributeMapping.init(from:)`), wrapped by the YAML decoder.
            throw context.underlyingError!
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
            if resource.delete == .move && resource.deletedBaseDN == nil {
                throw MappingError("\(name): `delete: move` needs `deletedBaseDN`")
            }
            if resource.attributes.contains(where: { $0.kind.name == .members }) && resource.membership == nil {
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
    public var derived: [String: [String]]? {
        didSet { memo = ResourceMappingMemo() }
    }
    public var membership: Membership?
    public var attributes: [AttributeMapping] {
        didSet {
            listReadAttributes()
            memo = ResourceMappingMemo()
        }
    }
    /// What requests work out from the mapping and its resource type, kept after the first (copies share it).
    var memo = ResourceMappingMemo()
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
    public internal(set) var derivedRules: [DerivedRule] = [] {
        didSet { memo = ResourceMappingMemo() }
    }
    /// Every LDAP attribute read for a whole resource (operational ones included, passwords never): what the
    /// service account must be able to read. Listed when the mapping loads; `readAttributesWithoutMembers` leaves
    /// out the membership attribute (for `excludedAttributes=members`).
    public private(set) var readAttributes: [String] = []
    public private(set) var readAttributesWithoutMembers: [String] = []

    mutating func listReadAttributes() {
        var all = EntryDecoder.operational
        var withoutMembers = EntryDecoder.operational
        for attribute in attributes where attribute.kind.name != .password {
            all += attribute.ldapAttributes
            if attribute.kind.name != .members { withoutMembers += attribute.ldapAttributes }
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

    /// Each derived rule with the single-valued string attribute that shows the LDAP attribute it fills (rules
    /// whose attribute no such SCIM attribute shows are left out): what reads check for values they did not write.
    func derivedOwners() -> [(rule: DerivedRule, own: AttributeMapping)] {
        memo.derivedOwners {
            derivedRules.compactMap { rule in
                attributes.first { $0.kind.name == .string && $0.ldap.caseInsensitiveEquals(rule.ldap) }.map { (rule, $0) }
            }
        }
    }

    public struct DerivedRule: Sendable {
        public var ldap: String
        public var sources: [(expression: String, paths: [AttributePath])]
    }

    enum CodingKeys: String, CodingKey {
        case baseDN, scope, filter, objectClasses, rdnAttribute, rdnCollision, derived, membership, attributes, delete,
            deletedBaseDN, unmapped, ignore, extensions, read, defaults, allocate, passwordPolicy
    }
}

/// Answers worked out from a resource mapping on first use and kept for the next requests (a new memo whenever the
/// mapping's attributes or derived values change).
final class ResourceMappingMemo: Sendable {
    private let uniqueTypes = MemoSlot<(resourceType: String, types: Set<String>)>()
    private let written = MemoSlot<WritePlan.WrittenTypes>()
    private let owners = MemoSlot<[(rule: ResourceMapping.DerivedRule, own: AttributeMapping)]>()

    /// `ResourceMapping.derivedOwners`, computed once.
    func derivedOwners(_ compute: () -> [(rule: ResourceMapping.DerivedRule, own: AttributeMapping)])
        -> [(rule: ResourceMapping.DerivedRule, own: AttributeMapping)]
    {
        owners.value(compute)
    }

    /// `WritePlan.writtenTypes`, computed once.
    func writtenTypes(_ compute: () -> WritePlan.WrittenTypes) -> WritePlan.WrittenTypes {
        written.value(compute)
    }

    /// `WritePlan.uniqueLDAPTypes` (they depend on the resource type's schema too), computed once per resource type.
    func uniqueLDAPTypes(of resourceType: String, _ compute: () -> Set<String>) -> Set<String> {
        uniqueTypes.value(keptWhile: { $0.resourceType == resourceType }) { (resourceType, compute()) }.types
    }
}

/// One answer worked out on first use and kept (two concurrent first uses may both compute it; either is kept).
private final class MemoSlot<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)

    /// The kept value while `valid` holds for it, else a new one from `compute`, kept.
    func value(keptWhile valid: (Value) -> Bool = { _ in true }, _ compute: () -> Value) -> Value {
        if let known = stored.withLock({ $0 }), valid(known) { return known }
        let fresh = compute()
        stored.withLock { $0 = fresh }
        return fresh
    }
}
