import LDAPClient
import SCIMCore

/// One SCIM attribute's mapping: its SCIM path, its LDAP attribute, and how the value is stored there (`kind`,
/// whose cases carry exactly the settings that apply to them: a display attribute only for a tagged attribute, a
/// lock strategy only for `active`, types only for a typed attribute). A class, built once when the mapping loads
/// and never changed: request paths iterate these dozens of times per request, and sharing them (with the SCIM
/// path parsed once) keeps that cheap.
public final class AttributeMapping: Sendable {
    public enum Kind: Sendable {
        /// one SCIM string <-> one LDAP value
        case string
        /// a multi-valued SCIM string (or other simple type) <-> the values of one LDAP attribute
        case strings
        case boolean
        /// written, never read
        case password
        /// a SCIM reference (manager) <-> a DN
        case reference
        /// a group's members <-> DNs (or values, `membership.value`)
        case members
        /// read-only group memberships (direct and nested) from an operational attribute such as memberOf
        case groups
        case active(Active)
        /// a multi-valued complex SCIM attribute <-> option-tagged values (`scimEmail;x-type-work`)
        case tagged(Tagged)
        /// a multi-valued complex SCIM attribute whose `type` selects standard LDAP attributes (classic
        /// directories: work e-mail in `mail`, mobile phone in `mobile`, work address in `street`, `l`, ...)
        case typed(Typed)

        /// The kind as the mapping file names it (`kind:`), without its settings: for comparisons and sets.
        public enum Name: String, Sendable, Hashable, Decodable {
            case string, strings, boolean, password, reference, members, groups, active, tagged, typed
        }

        public var name: Name {
            switch self {
            case .string: .string
            case .strings: .strings
            case .boolean: .boolean
            case .password: .password
            case .reference: .reference
            case .members: .members
            case .groups: .groups
            case .active: .active
            case .tagged: .tagged
            case .typed: .typed
            }
        }
    }

    /// `active`: how an inactive account is recorded in `ldap`.
    public struct Active: Sendable {
        public enum Strategy: Sendable {
            /// ppolicy's permanent lock (`pwdAccountLockedTime: 000001010000Z`).
            case ppolicy
            /// A plain attribute holding `inactive` when active is false and `active` (or nothing) when true.
            case attribute(inactive: String, active: String?)
        }

        public let strategy: Strategy
        /// A Boolean attribute recording that a client set `active`, so an unset (or removed) value is not
        /// reported as true.
        public let marker: String?

        public init(strategy: Strategy = .ppolicy, marker: String? = nil) {
            self.strategy = strategy
            self.marker = marker
        }

        /// The value `ldap` holds for an inactive account.
        var inactiveValue: String {
            switch strategy {
            case .ppolicy: ActiveLock.permanentLock
            case .attribute(let inactive, _): inactive
            }
        }

        /// The value a plain attribute holds for an active account (nil: nothing, or the ppolicy strategy).
        var activeValue: String? {
            if case .attribute(_, let active) = strategy { active } else { nil }
        }

        var isPlainAttribute: Bool {
            if case .attribute = strategy { true } else { false }
        }
    }

    /// `tagged`: the parts of a value beside `value` itself.
    public struct Tagged: Sendable {
        /// The LDAP attribute holding each value's `display`.
        public let display: String?
        /// Sub-attribute → LDAP attribute, for values spread over several attributes (addresses); nil: `value`
        /// alone, in `ldap`.
        public let subAttributes: [String: String]?
        /// The SCIM values are base64 and stored as raw bytes.
        public let binary: Bool
        /// SCIM type (or `primary`) → a standard LDAP attribute also written with the first value of that type.
        public let mirror: [String: String]?
        /// SCIM type → sub-attribute → standard LDAP attribute written from the first value of that type (work
        /// address → street, l, st, postalCode, postalAddress), and read back when the tagged attributes are
        /// empty (entries written by other tools).
        public let mirrorSubAttributes: [String: [String: String]]?
        /// `mirror` and `mirrorSubAttributes` sorted by key, once: decoding reads them in this order.
        let sortedMirror: [(key: String, ldap: String)]
        let sortedMirrorSubAttributes: [(type: String, subs: [(sub: String, ldap: String)])]

        public init(
            display: String? = nil, subAttributes: [String: String]? = nil, binary: Bool = false,
            mirror: [String: String]? = nil, mirrorSubAttributes: [String: [String: String]]? = nil
        ) {
            self.display = display
            self.subAttributes = subAttributes
            self.binary = binary
            self.mirror = mirror
            self.mirrorSubAttributes = mirrorSubAttributes
            sortedMirror = (mirror ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            sortedMirrorSubAttributes = (mirrorSubAttributes ?? [:]).sorted { $0.key < $1.key }.map { type, subs in
                (type, subs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            }
        }
    }

    /// `typed`: SCIM type → sub-attribute → LDAP attribute (`work: { value: mail }`), never empty.
    public struct Typed: Sendable {
        public let types: [String: [String: String]]
        /// The type whose first value is the primary one.
        public let primaryType: String?

        public init(types: [String: [String: String]], primaryType: String? = nil) {
            self.types = types
            self.primaryType = primaryType
        }
    }

    /// SCIM path as written in the mapping: `userName`, `name.givenName`, or an extension attribute by its full
    /// URN path.
    public let scim: String
    /// `scim` parsed once.
    public let path: AttributePath
    public let ldap: String
    public let kind: Kind
    /// Every LDAP attribute type this mapping reads.
    public let ldapAttributes: [String]
    /// `LDAPEntry.typeBit` of every LDAP attribute this mapping reads: an entry without any of them holds no
    /// value of it.
    public let typeBits: UInt64
    /// For tagged attributes: which LDAP attribute holds which sub-attribute (`value`, or each of
    /// `subAttributes` sorted by name), then `display`. Listed once here; every read walks it. Empty otherwise.
    public let taggedParts: [(sub: String, ldap: String)]

    public init(scim: String, ldap: String, kind: Kind) {
        self.scim = scim
        self.path = AttributePath(mappingPath: scim)
        self.ldap = ldap
        self.kind = kind
        var names = [ldap]
        var parts: [(sub: String, ldap: String)] = []
        switch kind {
        case .active(let active):
            if let marker = active.marker { names.append(marker) }
        case .tagged(let tagged):
            if let display = tagged.display { names.append(display) }
            if let subAttributes = tagged.subAttributes { names += subAttributes.values.sorted() }
            if let mirror = tagged.mirror { names += mirror.values.sorted() }
            for subs in (tagged.mirrorSubAttributes ?? [:]).values { names += subs.values }
            parts =
                tagged.subAttributes.map { $0.sorted { $0.key < $1.key }.map { (sub: $0.key, ldap: $0.value) } }
                ?? [("value", ldap)]
            if let display = tagged.display { parts.append(("display", display)) }
        case .typed(let typed):
            for subs in typed.types.values { names += subs.values }
        case .string, .strings, .boolean, .password, .reference, .members, .groups:
            break
        }
        ldapAttributes = Array(Set(names)).sorted()
        typeBits = ldapAttributes.reduce(0) { $0 | LDAPEntry.typeBit($1) }
        taggedParts = parts
    }

    /// The settings of an `active` mapping; nil for every other kind.
    var active: Active? {
        if case .active(let active) = kind { active } else { nil }
    }
}

extension AttributePath {
    /// A path as the mapping writes it: `urn:…:User:manager` → (urn, manager, nil); `name.givenName` → (nil,
    /// name, givenName). Lenient, as mapping files and templates are the operator's, checked when they load.
    init(mappingPath text: String) {
        var rest = text
        var urn: String?
        if text.lowercased().hasPrefix("urn:"), let colon = text.lastIndex(of: ":") {
            urn = String(text[..<colon])
            rest = String(text[text.index(after: colon)...])
        }
        let parts = rest.split(separator: ".", maxSplits: 1).map(String.init)
        self.init(schemaURN: urn, attribute: parts.first ?? "", subAttribute: parts.count > 1 ? parts[1] : nil)
    }
}
