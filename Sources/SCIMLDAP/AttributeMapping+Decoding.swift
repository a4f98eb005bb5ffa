/// Reads one `attributes:` entry of a mapping file: `kind` picks the case, and only the keys that apply to it are
/// read (`display`, `subAttributes`, `binary`, `mirror`, `mirrorSubAttributes` for `tagged`; `strategy`,
/// `activeValue`, `inactiveValue`, `marker` for `active`; `types`, `primaryType` for `typed`).
extension AttributeMapping: Decodable {
    enum CodingKeys: String, CodingKey {
        case scim, ldap, kind, display, subAttributes, binary, mirror, marker, strategy, activeValue, inactiveValue, types,
            primaryType, mirrorSubAttributes
    }

    /// `active` strategies as the mapping file names them.
    enum ActiveStrategyName: String, Decodable { case ppolicy, attribute }

    public convenience init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let scim = try c.decode(String.self, forKey: .scim)
        // "User.emails": the resource type's key in the mapping file (resourceTypes.<name>.attributes[i]), then the path.
        let label = (decoder.codingPath.dropFirst().first.map { "\($0.stringValue)." } ?? "") + scim
        var ldap = try c.decodeIfPresent(String.self, forKey: .ldap) ?? ""
        let kind: Kind
        switch try c.decode(Kind.Name.self, forKey: .kind) {
        case .string: kind = .string
        case .strings: kind = .strings
        case .boolean: kind = .boolean
        case .password: kind = .password
        case .reference: kind = .reference
        case .members: kind = .members
        case .groups: kind = .groups
        case .active: kind = .active(try Self.active(c, label: label))
        case .tagged: kind = .tagged(try Self.tagged(c))
        case .typed:
            let typed = try Self.typed(c, label: label)
            if ldap.isEmpty {
                ldap =
                    typed.types[typed.primaryType ?? ""]?["value"]
                    ?? typed.types.sorted { $0.key < $1.key }.first?.value.sorted { $0.key < $1.key }.first?.value ?? ""
            }
            kind = .typed(typed)
        }
        self.init(scim: scim, ldap: ldap, kind: kind)
    }

    private static func active(_ c: KeyedDecodingContainer<CodingKeys>, label: String) throws -> Active {
        let marker = try c.decodeIfPresent(String.self, forKey: .marker)
        switch try c.decodeIfPresent(ActiveStrategyName.self, forKey: .strategy) ?? .ppolicy {
        case .ppolicy:
            return Active(strategy: .ppolicy, marker: marker)
        case .attribute:
            guard let inactive = try c.decodeIfPresent(String.self, forKey: .inactiveValue) else {
                throw MappingError("\(label): strategy attribute needs `inactiveValue`")
            }
            let active = try c.decodeIfPresent(String.self, forKey: .activeValue)
            return Active(strategy: .attribute(inactive: inactive, active: active), marker: marker)
        }
    }

    private static func tagged(_ c: KeyedDecodingContainer<CodingKeys>) throws -> Tagged {
        Tagged(
            display: try c.decodeIfPresent(String.self, forKey: .display),
            subAttributes: try c.decodeIfPresent([String: String].self, forKey: .subAttributes),
            binary: try c.decodeIfPresent(Bool.self, forKey: .binary) ?? false,
            mirror: try c.decodeIfPresent([String: String].self, forKey: .mirror),
            mirrorSubAttributes: try c.decodeIfPresent([String: [String: String]].self, forKey: .mirrorSubAttributes)
                .map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.lowercased(), $0.value) }) })
    }

    private static func typed(_ c: KeyedDecodingContainer<CodingKeys>, label: String) throws -> Typed {
        // `types: { work: mail }` is short for `types: { work: { value: mail } }`.
        var types: [String: [String: String]] = [:]
        if let full = try? c.decodeIfPresent([String: [String: String]].self, forKey: .types) {
            types = Dictionary(uniqueKeysWithValues: full.map { ($0.key.lowercased(), $0.value) })
        } else if let short = try c.decodeIfPresent([String: String].self, forKey: .types) {
            types = Dictionary(uniqueKeysWithValues: short.map { ($0.key.lowercased(), ["value": $0.value]) })
        }
        guard !types.isEmpty, types.values.allSatisfy({ !$0.isEmpty }) else {
            throw MappingError("\(label): a typed attribute needs `types` (type: ldap attribute)")
        }
        let primaryType = try c.decodeIfPresent(String.self, forKey: .primaryType)?.lowercased()
        if let primaryType, types[primaryType] == nil {
            throw MappingError("\(label): primaryType \(primaryType) is not one of its types")
        }
        return Typed(types: types, primaryType: primaryType)
    }
}
