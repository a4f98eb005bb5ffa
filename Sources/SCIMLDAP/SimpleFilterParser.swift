import Foundation
import LDAPClient
import SCIMCore

/// Parses the simple selection filters of mapping files: `(attr=value)` terms combined with `&`.
enum SimpleFilterParser {
    static func parse(_ text: String) -> LDAPFilter? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("("), trimmed.hasSuffix(")") else { return nil }
        let inner = trimmed.dropFirst().dropLast()
        if inner.hasPrefix("&") {
            var terms: [LDAPFilter] = []
            var depth = 0
            var start = inner.index(after: inner.startIndex)
            for index in inner.indices.dropFirst() {
                if inner[index] == "(" { if depth == 0 { start = index }; depth += 1 }
                if inner[index] == ")" {
                    depth -= 1
                    if depth == 0 {
                        guard let term = parse(String(inner[start...index])) else { return nil }
                        terms.append(term)
                    }
                }
            }
            guard depth == 0, !terms.isEmpty else { return nil }
            return .and(terms)
        }
        guard let equals = inner.firstIndex(of: "=") else { return nil }
        let attribute = String(inner[..<equals])
        let value = String(inner[inner.index(after: equals)...])
        // Only plain terms: a descriptor, then a value with no filter syntax in it.
        let descriptor =
            !attribute.isEmpty && attribute.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ";" || $0 == ".") }
        guard descriptor, !value.isEmpty, !value.contains(where: { "()\\".contains($0) }) else { return nil }
        if value == "*" { return .present(attribute) }
        guard !value.contains("*") else { return nil }
        return .equal(attribute, value)
    }
}

extension ResourceMapping {
    /// The object classes the selection filter requires, when it requires nothing else (`(objectClass=x)` terms,
    /// ANDed): then an entry's membership is decidable from its objectClass values. Nil otherwise.
    static func objectClasses(in selection: [LDAPFilter]) -> [String]? {
        func classes(_ filter: LDAPFilter) -> [String]? {
            switch filter {
            case .equal(let attribute, let value) where attribute.caseInsensitiveEquals("objectClass"):
                return [String(decoding: value, as: UTF8.self)]
            case .and(let terms):
                var out: [String] = []
                for term in terms {
                    guard let found = classes(term) else { return nil }
                    out += found
                }
                return out
            default:
                return nil
            }
        }
        var out: [String] = []
        for filter in selection {
            guard let found = classes(filter) else { return nil }
            out += found
        }
        return out
    }
}

extension LDAPEntry {
    /// True when the entry lists every one of `classes` by name (ASCII case-insensitive). False is not proof of
    /// the opposite: a class may be stored by OID or an alias, which only the server resolves.
    func listsObjectClasses(_ classes: [String]) -> Bool {
        let own = values("objectClass")
        return classes.allSatisfy { wanted in own.contains { ASCIINames.equal($0.span, wanted.utf8.span) == true } }
    }
}
