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
        /// The first value of each attribute members may be stored by (`membership.value`), by lower-cased name.
        var values: [String: String] = [:]
    }

    /// Attributes members are stored by instead of DNs (posixGroup: `uid`), read with every target.
    var memberValueAttributes: [String] {
        Array(Set(mappings.compactMap { $0.mapping.membership?.value?.lowercased() })).sorted()
    }

    /// Stored member values (`memberUid: jdoe`) → targets, keyed by `Self.valueKey`; unknown values are absent.
    func targets(forValues values: [String], attribute: String) async throws -> [String: Target] {
        var found: [String: Target] = [:]
        for batch in Array(Set(values)).chunked(Self.batchSize) {
            let filter = LDAPFilter.or(batch.map { .equal(attribute, $0) })
            for target in try await search(filter) {
                if let value = target.values[attribute.lowercased()] { found[Self.valueKey(value)] = target }
            }
        }
        return found
    }

    /// The lookup key of a member stored by value (`=jdoe`, never a DN key: DN keys hold `=` after a type).
    static func valueKey(_ value: String) -> String { "=" + value.lowercased() }

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
            let display =
                mapping.attributes.first { $0.scim.caseInsensitiveEquals("displayName") }?.ldap
                ?? mapping.attributes.first { $0.scim.caseInsensitiveEquals("userName") }?.ldap
            let result = try await pool.search(
                base: mapping.baseDN, scope: mapping.scope == .one ? .oneLevel : .subtree,
                filter: .and([filter] + mapping.selection),
                attributes: ["entryUUID"] + (display.map { [$0] } ?? []) + memberValueAttributes)
            for entry in result.entries {
                guard let id = entry.string("entryUUID") else { continue }
                var target = Target(dn: entry.dn, id: id, display: display.flatMap { entry.string($0) }, resourceType: name)
                for attribute in memberValueAttributes { target.values[attribute] = entry.string(attribute) }
                out.append(target)
            }
        }
        return out
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
