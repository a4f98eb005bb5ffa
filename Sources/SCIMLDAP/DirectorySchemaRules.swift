import LDAPClient

/// Which matching rules each attribute type has, read from the directory's own subschema (`cn=Subschema`), so
/// filters are checked against what this directory can really evaluate: slapd answers a filter on an attribute
/// without the needed rule with success and zero entries, a silently wrong answer the gateway must refuse instead.
public struct DirectorySchemaRules: Sendable {
    public struct Rules: Sendable, Hashable {
        public var equality: String?
        public var ordering: String?
        public var substring: String?
        /// USAGE other than userApplications (memberOf, pwdAccountLockedTime): allowed on any entry.
        public var operational = false
    }

    /// An object class: its superclasses and the attribute types it requires and allows.
    public struct ObjectClass: Sendable, Hashable {
        public var names: [String]
        public var superclasses: [String] = []
        public var must: [String] = []
        public var may: [String] = []
    }

    private var rules: [String: Rules]
    /// Object classes by lower-cased name (empty when the subschema was read without them).
    public private(set) var objectClasses: [String: ObjectClass] = [:]
    /// Lower-cased name → every name of the same attribute type.
    private var aliases: [String: Set<String>] = [:]

    public init(rules: [String: Rules]) { self.rules = rules }

    /// True when the directory defines this attribute type (options such as `;binary` ignored).
    public func knows(_ attribute: String) -> Bool {
        rules[String(attribute.split(separator: ";").first ?? "").lowercased()] != nil
    }

    public func rules(for attribute: String) -> Rules? { rules[attribute.lowercased()] }

    /// Reads `attributeTypes` from the subschema subentry and resolves rules inherited through SUP.
    public static func load(from pool: LDAPPool) async throws -> DirectorySchemaRules {
        let root = try await pool.search(base: "", scope: .base, attributes: ["subschemaSubentry"])
        let subschema = root.entries.first?.string("subschemaSubentry") ?? "cn=Subschema"
        let result = try await pool.search(
            base: subschema, scope: .base, filter: .present("objectClass"),
            attributes: ["attributeTypes", "objectClasses"])
        var parsed = parse(result.entries.first?.strings("attributeTypes") ?? [])
        parsed.objectClasses = parseObjectClasses(result.entries.first?.strings("objectClasses") ?? [])
        return parsed
    }

    /// Parses RFC 4512 AttributeTypeDescriptions.
    public static func parse(_ descriptions: [String]) -> DirectorySchemaRules {
        struct Raw { var names: [String]; var sup: String?; var rules: Rules }
        var raws: [Raw] = []
        for text in descriptions {
            let tokens = tokenize(text)
            var names: [String] = []
            var sup: String?
            var rules = Rules()
            var index = 0
            while index < tokens.count {
                let token = tokens[index].uppercased()
                let next = index + 1 < tokens.count ? tokens[index + 1] : ""
                switch token {
                case "NAME":
                    if next == "(" {
                        index += 2
                        while index < tokens.count, tokens[index] != ")" { names.append(tokens[index]); index += 1 }
                    } else {
                        names.append(next)
                        index += 1
                    }
                case "SUP": sup = next; index += 1
                case "EQUALITY": rules.equality = next; index += 1
                case "ORDERING": rules.ordering = next; index += 1
                case "SUBSTR": rules.substring = next; index += 1
                case "USAGE": rules.operational = next.lowercased() != "userapplications"; index += 1
                default: break
                }
                index += 1
            }
            if !names.isEmpty { raws.append(Raw(names: names, sup: sup, rules: rules)) }
        }
        var byName: [String: Raw] = [:]
        for raw in raws { for name in raw.names { byName[name.lowercased()] = raw } }
        var resolved: [String: Rules] = [:]
        for (name, raw) in byName {
            var rules = raw.rules
            var parent = raw.sup
            var depth = 0
            while let sup = parent?.lowercased(), let up = byName[sup], depth < 16 {
                rules.equality = rules.equality ?? up.rules.equality
                rules.ordering = rules.ordering ?? up.rules.ordering
                rules.substring = rules.substring ?? up.rules.substring
                rules.operational = rules.operational || up.rules.operational
                parent = up.sup
                depth += 1
            }
            resolved[name] = rules
        }
        var result = DirectorySchemaRules(rules: resolved)
        for raw in raws {
            let names = Set(raw.names.map { $0.lowercased() })
            for name in names { result.aliases[name] = names }
        }
        return result
    }

    /// Parses RFC 4512 ObjectClassDescriptions (NAME, SUP, MUST, MAY).
    public static func parseObjectClasses(_ descriptions: [String]) -> [String: ObjectClass] {
        var out: [String: ObjectClass] = [:]
        for text in descriptions {
            let tokens = tokenize(text)
            var names: [String] = []
            var fields: [String: [String]] = [:]
            var index = 0
            while index < tokens.count {
                let token = tokens[index].uppercased()
                guard ["NAME", "SUP", "MUST", "MAY"].contains(token), index + 1 < tokens.count else { index += 1; continue }
                var values: [String] = []
                if tokens[index + 1] == "(" {
                    index += 2
                    while index < tokens.count, tokens[index] != ")" {
                        if tokens[index] != "$" { values.append(tokens[index]) }
                        index += 1
                    }
                } else {
                    values.append(tokens[index + 1])
                    index += 1
                }
                if token == "NAME" { names = values } else { fields[token, default: []] += values }
                index += 1
            }
            guard !names.isEmpty else { continue }
            let objectClass = ObjectClass(
                names: names, superclasses: fields["SUP"] ?? [], must: fields["MUST"] ?? [],
                may: fields["MAY"] ?? [])
            for name in names { out[name.lowercased()] = objectClass }
        }
        return out
    }

    /// The attribute types `classes` (with their superclasses) require and allow, lower-cased.
    public func attributes(of classes: [String]) -> (must: Set<String>, may: Set<String>) {
        var must: Set<String> = []
        var may: Set<String> = []
        var pending = classes.map { $0.lowercased() }
        var seen: Set<String> = []
        while let name = pending.popLast() {
            guard seen.insert(name).inserted, let objectClass = objectClasses[name] else { continue }
            must.formUnion(objectClass.must.map { $0.lowercased() })
            may.formUnion(objectClass.may.map { $0.lowercased() })
            pending += objectClass.superclasses.map { $0.lowercased() }
        }
        // Aliases (cn / commonName) name the same type.
        return (must, may)
    }

    /// Every name (aliases included) of the attribute type `attribute`, lower-cased.
    public func names(of attribute: String) -> Set<String> {
        Set([attribute.lowercased()]).union(aliases[attribute.lowercased()] ?? [])
    }

    /// Splits a description into parenthesis tokens, quoted strings and bare words.
    private static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if quoted {
                if character == "'" { tokens.append(current); current = ""; quoted = false } else { current.append(character) }
            } else if character == "'" {
                quoted = true
            } else if character == "(" || character == ")" {
                if !current.isEmpty { tokens.append(current); current = "" }
                tokens.append(String(character))
            } else if character == " " {
                if !current.isEmpty { tokens.append(current); current = "" }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}
