import LDAPClient

/// Which matching rules each attribute type has, read from the directory's own subschema (`cn=Subschema`), so
/// filters are checked against what this directory can really evaluate: slapd answers a filter on an attribute
/// without the needed rule with success and zero entries, a silently wrong answer the gateway must refuse instead.
public struct DirectorySchemaRules: Sendable {
    public struct Rules: Sendable, Hashable {
        public var equality: String?
        public var ordering: String?
        public var substring: String?
    }

    private var rules: [String: Rules]

    public init(rules: [String: Rules]) { self.rules = rules }

    public func rules(for attribute: String) -> Rules? { rules[attribute.lowercased()] }

    /// Reads `attributeTypes` from the subschema subentry and resolves rules inherited through SUP.
    public static func load(from pool: LDAPPool) async throws -> DirectorySchemaRules {
        let root = try await pool.search(base: "", scope: .base, attributes: ["subschemaSubentry"])
        let subschema = root.entries.first?.string("subschemaSubentry") ?? "cn=Subschema"
        let result = try await pool.search(base: subschema, scope: .base, filter: .present("objectClass"),
                                           attributes: ["attributeTypes"])
        return parse(result.entries.first?.strings("attributeTypes") ?? [])
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
                parent = up.sup
                depth += 1
            }
            resolved[name] = rules
        }
        return DirectorySchemaRules(rules: resolved)
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
