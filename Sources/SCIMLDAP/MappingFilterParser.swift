import Foundation
import LDAPClient

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
        let descriptor = !attribute.isEmpty && attribute.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ";" || $0 == ".") }
        guard descriptor, !value.isEmpty, !value.contains(where: { "()\\".contains($0) }) else { return nil }
        if value == "*" { return .present(attribute) }
        guard !value.contains("*") else { return nil }
        return .equal(attribute, value)
    }
}
