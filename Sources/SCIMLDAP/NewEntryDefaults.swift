import LDAPClient
import SCIMCore

/// How a number for a new entry is taken: the counter entry holds the next free number in `attribute`; taking
/// it is one modify that deletes that value and adds its successor, which fails when another writer took it
/// first (so two gateways never hand out the same number).
public struct NumberAllocation: Sendable, Decodable {
    /// DN of the counter entry (for example `cn=uidNext,ou=Pool,${suffix}` with objectClass `posixGroup`).
    public var counter: String
    /// The counter's attribute holding the next number (default: the allocated attribute itself).
    public var attribute: String?
}

/// Fills a new entry's attributes from `defaults` templates.
struct NewEntryDefaults {
    let mapping: ResourceMapping

    /// `attributes` plus a value for every default the resource leaves empty. A template value taken from the
    /// resource must be a plain name (no `/`, not `.` or `..`, no control characters): it may end up in a path.
    func apply(to attributes: [(String, [[UInt8]])], resource: JSONValue) throws(SCIMError) -> [(String, [[UInt8]])] {
        var out = attributes
        for (ldap, template) in (mapping.defaults ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard !out.contains(where: { ModificationPlanner.type(of: $0.0) == ldap.lowercased() && !$0.1.isEmpty }) else { continue }
            out.append((ldap, [Array(try Self.render(template, ldap: ldap, resource: resource).utf8)]))
        }
        return out
    }

    static func render(_ template: String, ldap: String, resource: JSONValue) throws(SCIMError) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            result += rest[..<open]
            let path = AttributePath(mappingPath: String(rest[rest.index(after: open)..<close]))
            guard let value = resource.value(at: path)?.stringValue, !value.isEmpty else {
                throw SCIMError.invalidValue("\(ldap) is built from \(rest[rest.index(after: open)..<close]), which is missing")
            }
            guard value != ".", value != "..", !value.contains("/"), !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            else {
                throw SCIMError.invalidValue(
                    "\(rest[rest.index(after: open)..<close]) cannot be used to build \(ldap): it must not contain / or control characters")
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// Takes numbers from counter entries (`NumberAllocation`).
struct NumberAllocator {
    let pool: LDAPPool

    /// The next free number for `ldap` under `base`: taken from the counter with a delete-old/add-new modify (an
    /// atomic compare-and-swap in LDAP). A number some entry already holds is skipped; when the counter lags
    /// behind the numbers in use (a directory older than the counter), it jumps past the highest one in one step.
    func allocate(_ ldap: String, _ allocation: NumberAllocation, base: String) async throws -> String {
        let attribute = allocation.attribute ?? ldap
        for _ in 0..<64 {
            let counter = try await pool.search(base: allocation.counter, scope: .base, attributes: [attribute])
            guard let text = counter.entries.first?.string(attribute), let number = Int(text), number >= 0, number < Int.max else {
                throw SCIMError.invalidValue("the counter \(allocation.counter) holds no usable number in \(attribute)")
            }
            guard try await take(text, next: number + 1, attribute, allocation) else { continue }  // another writer took it
            let taken = try await pool.search(
                base: base, scope: .subtree, filter: .equal(ldap, String(number)),
                attributes: ["1.1"], sizeLimit: 1)
            if taken.entries.isEmpty { return String(number) }
            // In use: move the counter past the highest number in use (the ordering rule answers that).
            if let highest = try? await highestInUse(ldap, from: number, base: base), highest < Int.max, highest + 1 > number + 1 {
                _ = try await take(String(number + 1), next: highest + 1, attribute, allocation)
            }
        }
        throw SCIMError.unavailable("no free \(ldap) could be allocated; check the counter \(allocation.counter)")
    }

    /// Compare-and-swap on the counter: true when `current` was still its value.
    private func take(_ current: String, next: Int, _ attribute: String, _ allocation: NumberAllocation) async throws -> Bool {
        do {
            _ = try await pool.withConnection { connection in
                try await connection.modify(dn: allocation.counter, [.delete(attribute, [current]), .add(attribute, [String(next)])])
            }
            return true
        } catch let error as LDAPError where error.code == .noSuchAttribute || error.code == .attributeOrValueExists {
            return false
        }
    }

    private func highestInUse(_ ldap: String, from number: Int, base: String) async throws -> Int? {
        // One search; under a size limit the partial answer still moves the counter forward, and the next round
        // goes on from there.
        let found = try await pool.search(base: base, scope: .subtree, filter: .greaterOrEqual(ldap, String(number)), attributes: [ldap])
        return found.entries.compactMap { $0.string(ldap).flatMap { Int($0) } }.max()
    }
}
