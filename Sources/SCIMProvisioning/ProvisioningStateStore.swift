import Foundation
import LDAPClient

/// The provisioning state of one target, kept in the directory (bundled schema v3) so any gateway instance can
/// take over: `cn=<target>,<stateBaseDN>` holds the sync cookie and the lease, and one
/// `scimProvResourceId=<id>` entry below it per resource holds the target's id, the version pushed last and
/// the status of the last attempt.
public struct ProvisioningStateStore: Sendable {
    public let pool: LDAPPool
    public let baseDN: String
    public let target: String

    public init(pool: LDAPPool, baseDN: String, target: String) {
        self.pool = pool
        self.baseDN = baseDN
        self.target = target
    }

    public var targetDN: String { "cn=\(DistinguishedName.escape(target)),\(baseDN)" }

    func dn(_ localID: String) -> String { "scimProvResourceId=\(DistinguishedName.escape(localID)),\(targetDN)" }

    /// Creates the state subtree and the target's entry when missing.
    public func prepare() async throws {
        if let rdn = baseDN.split(separator: ",", maxSplits: 1).first, rdn.lowercased().hasPrefix("ou=") {
            try await addIfMissing(baseDN, [("objectClass", ["organizationalUnit"]), ("ou", [String(rdn.dropFirst(3))])])
        }
        try await addIfMissing(targetDN, [("objectClass", ["scimProvisioningTarget"]), ("cn", [target])])
    }

    private func addIfMissing(_ dn: String, _ attributes: [(String, [String])]) async throws {
        do {
            _ = try await pool.withConnection { connection in
                try await connection.add(dn: dn, attributes: attributes.map { ($0.0, $0.1.map { Array($0.utf8) }) }, controls: [])
            }
        } catch let error as LDAPError where error.code == .entryAlreadyExists {}
    }

    // MARK: Records

    public func record(_ localID: String) async throws -> ProvisioningRecord? {
        do {
            let result = try await pool.search(base: dn(localID), scope: .base, attributes: ProvisioningRecord.attributes)
            return result.entries.first.flatMap(ProvisioningRecord.init(entry:))
        } catch let error as LDAPError where error.code == .noSuchObject {
            return nil
        }
    }

    /// Writes the whole record. `exists: false` (the caller read none) adds the entry first instead of trying a
    /// modify that would fail: one round trip per new resource.
    public func save(_ record: ProvisioningRecord, exists: Bool = true) async throws {
        if exists {
            do {
                try await modify(record)
            } catch let error as LDAPError where error.code == .noSuchObject {
                try await add(record)
            }
        } else {
            do {
                try await add(record)
            } catch let error as LDAPError where error.code == .entryAlreadyExists {
                try await modify(record)
            }
        }
    }

    private func modify(_ record: ProvisioningRecord) async throws {
        _ = try await pool.withConnection { connection in
            try await connection.modify(dn: dn(record.localID), record.values.map { LDAPModification.replace($0.0, $0.1) }, controls: [])
        }
    }

    private func add(_ record: ProvisioningRecord) async throws {
        let dn = dn(record.localID)
        var attributes: [(String, [[UInt8]])] = [
            ("objectClass", [Array("scimProvisionedResource".utf8)]),
            ("scimProvResourceId", [Array(record.localID.utf8)]),
        ]
        attributes += record.values.filter { !$0.1.isEmpty }.map { ($0.0, $0.1.map { Array($0.utf8) }) }
        do {
            _ = try await pool.withConnection { connection in try await connection.add(dn: dn, attributes: attributes, controls: []) }
        } catch let error as LDAPError where error.code == .noSuchObject {
            // The target's entry is not there yet (a reconciliation from the CLI before any provisioner ran).
            try await prepare()
            _ = try await pool.withConnection { connection in try await connection.add(dn: dn, attributes: attributes, controls: []) }
        }
    }

    public func remove(_ localID: String) async throws {
        do {
            _ = try await pool.withConnection { connection in try await connection.delete(dn: dn(localID), controls: []) }
        } catch let error as LDAPError where error.code == .noSuchObject {}
    }

    /// Every record of the target (paged: no size limit applies), optionally only those with `status`.
    public func records(status: ProvisioningRecord.Status? = nil) async throws -> [ProvisioningRecord] {
        var filter = LDAPFilter.equal("objectClass", Array("scimProvisionedResource".utf8))
        if let status { filter = .and([filter, .equal("scimProvStatus", Array(status.rawValue.utf8))]) }
        var out: [ProvisioningRecord] = []
        do {
            try await pool.withConnection { connection in
                try await connection.searchAllPages(
                    base: targetDN, scope: .oneLevel, filter: filter,
                    attributes: ProvisioningRecord.attributes
                ) { entries in
                    out += entries.compactMap(ProvisioningRecord.init(entry:))
                }
            }
        } catch let error as LDAPError where error.code == .noSuchObject {
            return []
        }
        return out
    }

    // MARK: Cookie and lease

    public struct TargetState: Sendable {
        public var cookie: [UInt8]?
        public var leaseHolder: String?
        public var leaseExpires: Date?
        public var lastAttempt: Date?
    }

    public func targetState() async throws -> TargetState {
        do {
            let entry = try await pool.search(
                base: targetDN, scope: .base,
                attributes: [
                    "scimProvCookie", "scimProvLeaseHolder", "scimProvLeaseExpires",
                    "scimProvLastAttempt",
                ]
            ).entries.first
            return TargetState(
                cookie: entry?.values("scimProvCookie").first,
                leaseHolder: entry?.string("scimProvLeaseHolder"),
                leaseExpires: entry?.string("scimProvLeaseExpires").flatMap(LDAPGeneralizedTime.date(from:)),
                lastAttempt: entry?.string("scimProvLastAttempt").flatMap(LDAPGeneralizedTime.date(from:)))
        } catch let error as LDAPError where error.code == .noSuchObject {
            return TargetState()
        }
    }

    /// Takes or renews the lease for `holder` until now + `duration`, as a compare-and-swap on the lease's own
    /// values (Assertion control, RFC 4528): two instances racing for an expired lease cannot both win.
    /// False when another instance holds an unexpired lease or won the race.
    public func acquireLease(holder: String, duration: Duration, now: Date = Date()) async throws -> Bool {
        let state = try await targetState()
        if let current = state.leaseHolder, current != holder, let expires = state.leaseExpires, expires > now { return false }
        let assertion: LDAPFilter
        if let current = state.leaseHolder, let expires = state.leaseExpires {
            assertion = .and([
                .equal("scimProvLeaseHolder", Array(current.utf8)),
                .equal("scimProvLeaseExpires", Array(LDAPGeneralizedTime.string(from: expires).utf8)),
            ])
        } else if let current = state.leaseHolder {
            assertion = .equal("scimProvLeaseHolder", Array(current.utf8))
        } else {
            assertion = .not(.present("scimProvLeaseHolder"))
        }
        let until = now.addingTimeInterval(Double(duration.components.seconds))
        do {
            _ = try await pool.withConnection { connection in
                try await connection.modify(
                    dn: targetDN,
                    [
                        .replace("scimProvLeaseHolder", [holder]),
                        .replace("scimProvLeaseExpires", [LDAPGeneralizedTime.string(from: until)]),
                    ],
                    controls: [.assertion(assertion)])
            }
            return true
        } catch let error as LDAPError where error.code == .assertionFailed {
            return false
        }
    }

    /// Gives the lease up (only if `holder` still has it), so another instance can start at once.
    public func releaseLease(holder: String) async throws {
        do {
            _ = try await pool.withConnection { connection in
                try await connection.modify(
                    dn: targetDN, [.replace("scimProvLeaseHolder", []), .replace("scimProvLeaseExpires", [])],
                    controls: [.assertion(.equal("scimProvLeaseHolder", Array(holder.utf8)))])
            }
        } catch let error as LDAPError where error.code == .assertionFailed {}
    }

    /// Records the cookie up to which every change was handled; only while `holder` has the lease, so an
    /// instance that lost it cannot move the cookie of the one that took over.
    public func saveCookie(_ cookie: [UInt8]?, holder: String, now: Date = Date()) async throws -> Bool {
        do {
            _ = try await pool.withConnection { connection in
                try await connection.modify(
                    dn: targetDN,
                    [
                        LDAPModification(.replace, "scimProvCookie", cookie.map { [$0] } ?? []),
                        .replace("scimProvLastAttempt", [LDAPGeneralizedTime.string(from: now)]),
                    ],
                    controls: [.assertion(.equal("scimProvLeaseHolder", Array(holder.utf8)))])
            }
            return true
        } catch let error as LDAPError where error.code == .assertionFailed {
            return false
        }
    }
}
