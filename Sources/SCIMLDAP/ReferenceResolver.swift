import LDAPClient
import Logging
import SCIMCore

/// Resolves SCIM ids to DNs and DNs to ids in batched searches (one search per resource type and batch of
/// up to `batchSize` values), never one search per reference.
struct ReferenceResolver {
    let pool: LDAPPool
    let mappings: [(name: String, mapping: ResourceMapping)]
    static let batchSize = 200

    struct Target {
        var dn: String
        var id: String
        var display: String?
        var resourceType: String
    }

    /// ids → targets; unknown ids are absent from the result.
    func targets(forIDs ids: [String]) async throws -> [String: Target] {
        let valid = Array(Set(ids.filter(UUIDSyntax.isValid)))
        var found: [String: Target] = [:]
        for batch in valid.chunked(Self.batchSize) {
            let filter = LDAPFilter.or(batch.map { .equal("entryUUID", $0) })
            for target in try await search(filter) { found[target.id] = target }
        }
        return found
    }

    /// DNs (normalised keys) → targets; DNs that are not resources are absent.
    func targets(forDNs dns: [String]) async throws -> [String: Target] {
        let unique = Array(Set(dns))
        var found: [String: Target] = [:]
        // Each DN is looked up only under the base of the resource type that can hold it.
        for (name, mapping) in mappings {
            let base = try? DistinguishedName(mapping.baseDN)
            let mine = unique.filter { dn in
                guard let base, let parsed = try? DistinguishedName(dn) else { return true }
                return parsed.isDescendant(of: base)
            }
            for batch in mine.chunked(Self.batchSize) {
                let filter = LDAPFilter.or(batch.map { .equal("entryDN", $0) })
                for target in try await search(filter, in: [(name, mapping)]) {
                    found[DistinguishedNameKey.key(target.dn)] = target
                }
            }
        }
        return found
    }

    private func search(_ filter: LDAPFilter, in selected: [(name: String, mapping: ResourceMapping)]? = nil)
        async throws -> [Target]
    {
        var out: [Target] = []
        for (name, mapping) in selected ?? mappings {
            let display = mapping.attributes.first { $0.scim.caseInsensitiveEquals("displayName") }?.ldap
                ?? mapping.attributes.first { $0.scim.caseInsensitiveEquals("userName") }?.ldap
            let result = try await pool.search(base: mapping.baseDN, scope: mapping.scope == .one ? .oneLevel : .subtree,
                                               filter: .and([filter] + mapping.selection),
                                               attributes: ["entryUUID"] + (display.map { [$0] } ?? []))
            for entry in result.entries {
                guard let id = entry.string("entryUUID") else { continue }
                out.append(Target(dn: entry.dn, id: id, display: display.flatMap { entry.string($0) }, resourceType: name))
            }
        }
        return out
    }
}

extension ResourceMapping {
    /// The mapping's selection filter as filter terms (parsed once from the config's RFC 4515 text).
    var selection: [LDAPFilter] {
        guard let filter, let parsed = SimpleFilterParser.parse(filter) else { return [] }
        return [parsed]
    }
}

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
                    if depth == 0, let term = parse(String(inner[start...index])) { terms.append(term) }
                }
            }
            return .and(terms)
        }
        guard let equals = inner.firstIndex(of: "=") else { return nil }
        let attribute = String(inner[..<equals])
        let value = String(inner[inner.index(after: equals)...])
        return value == "*" ? .present(attribute) : .equal(attribute, value)
    }
}

enum UUIDSyntax {
    /// entryUUID's string form: 8-4-4-4-12 hex digits.
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)) {
                return false
            }
        }
        return true
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

import Foundation
