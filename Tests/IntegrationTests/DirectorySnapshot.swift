import Foundation
import LDAPClient
import SlapdHarness

/// Every user attribute of every entry under the suffix, read as the rootDN (who sees everything, including
/// what the gateway's account cannot): the before/after proof that a write touched only what it targeted.
struct DirectorySnapshot: Equatable {
    /// Normalised DN → attribute description (lower-cased) → values in the directory's order.
    var entries: [String: [String: [[UInt8]]]]
    /// Normalised DN → the DN as the directory spells it.
    var names: [String: String]

    static func read(_ slapd: SlapdInstance) async throws -> DirectorySnapshot {
        let admin = try await LDAPConnection.connect(slapd.adminConfiguration())
        let found = try await admin.search(base: slapd.suffix, scope: .subtree, filter: .present("objectClass"), attributes: ["*"])
        var entries: [String: [String: [[UInt8]]]] = [:]
        var names: [String: String] = [:]
        for entry in found.entries {
            let key = (try? DistinguishedName(entry.dn).normalized) ?? entry.dn.lowercased()
            names[key] = entry.dn
            var attributes: [String: [[UInt8]]] = [:]
            for attribute in entry.attributes { attributes[attribute.description.lowercased(), default: []] += attribute.values }
            entries[key] = attributes
        }
        return DirectorySnapshot(entries: entries, names: names)
    }

    /// The differences, one line each, as value sets (order ignored): `+dn`, `-dn`, `dn attr -[old] +[new]`.
    func changes(to after: DirectorySnapshot) -> [String] {
        var out: [String] = []
        for dn in Set(entries.keys).union(after.entries.keys).sorted() {
            guard let old = entries[dn] else { out.append("+\(after.names[dn] ?? dn)"); continue }
            guard let new = after.entries[dn] else { out.append("-\(names[dn] ?? dn)"); continue }
            for attribute in Set(old.keys).union(new.keys).sorted() {
                let before = Set(old[attribute] ?? [])
                let now = Set(new[attribute] ?? [])
                guard before != now else { continue }
                let removed = before.subtracting(now).map(Self.text).sorted()
                let added = now.subtracting(before).map(Self.text).sorted()
                out.append("\(names[dn] ?? dn) \(attribute) -\(removed) +\(added)")
            }
        }
        return out
    }

    static func text(_ value: [UInt8]) -> String { String(decoding: value, as: UTF8.self) }
}
