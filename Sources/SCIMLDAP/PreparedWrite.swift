import LDAPClient
import Logging
import SCIMCore

/// A write of an entry as `EntryUpdate` prepared it, run on one connection: the rename first when the plan has
/// one (undone when anything after it fails), the modify with the If-Match controls and Post-Read, then the
/// held-back password (Password Modify, undoing the modify when the directory refuses it). Uses nothing but the
/// connection it is given, so decoding the result never waits for a second one.
struct PreparedWrite {
    let current: LDAPEntry
    let modifications: [LDAPModification]
    let rdnChange: RDNChange?
    /// The If-Match (or planned-version) controls of the modify; empty when the version was compared already.
    let assertion: [LDAPRequestControl]
    /// What the written entry is read back with.
    let readList: [String]
    let passwordType: String?
    let pending: PasswordWrites.Pending?
    /// Applied after Password Modify (see `PasswordWrites.relock`).
    let relock: [LDAPModification]
    /// The write asserts the version it was planned from though the client sent no If-Match: a failed assertion
    /// means another write came between, and the caller starts over.
    let guarded: Bool

    var readBack: [LDAPRequestControl] { [.postRead(readList), .passwordPolicy] }

    /// Runs the write; `keepingPassword` leaves the password out (the current one, resent).
    func run(on connection: LDAPConnection, keepingPassword: Bool, store: LDAPResourceStore) async throws -> LDAPEntry {
        var modifications = modifications
        if keepingPassword { modifications.removeAll { ModificationPlanner.type(of: $0.attribute) == passwordType } }
        let pending = keepingPassword ? nil : pending
        if let rdnChange {
            return try await renaming(rdnChange, then: modifications, pending: pending, on: connection, store: store)
        }
        let dn = current.dn
        if modifications.isEmpty {
            if let pending { try await store.passwords.set(pending, dn: dn, on: connection, relock: relock, undo: {}) }
            return try await storedEntry(nil, fallback: dn, connection: connection)
        }
        var written: LDAPWriteResult?
        do {
            written = try await Self.modify(dn, modifications, controls: assertion + readBack, on: connection)
        } catch let error as LDAPError
            where error.code == .attributeOrValueExists
            && modifications.first.map({ ModificationPlanner.type(of: $0.attribute) == "objectclass" && $0.operation == .add }) == true
        {
            // A concurrent write added the missing object class first: the rest still applies.
            let rest = Array(modifications.dropFirst())
            written = rest.isEmpty ? nil : try await connection.modify(dn: dn, rest, controls: assertion + readBack)
        }
        if let pending {
            try await store.passwords.set(
                pending, dn: dn, on: connection, relock: relock,
                undo: {
                    try await Self.undo(modifications, current: current, dn: dn, on: connection)
                })
            written = nil  // the version changed again: read the entry as it now is
        }
        return try await storedEntry(written, fallback: dn, connection: connection)
    }

    /// The rename, then the rest on the renamed entry; the rename is undone when the rest fails, so the write is
    /// all or nothing.
    private func renaming(
        _ rdnChange: RDNChange, then modifications: [LDAPModification],
        pending: PasswordWrites.Pending?, on connection: LDAPConnection,
        store: LDAPResourceStore
    ) async throws -> LDAPEntry {
        _ = try await connection.rename(dn: current.dn, newRDN: rdnChange.newRDN, deleteOldRDN: true)
        let renamed = rdnChange.newDN
        do {
            let written = modifications.isEmpty ? nil : try await connection.modify(dn: renamed, modifications, controls: readBack)
            if let pending {
                try await store.passwords.set(
                    pending, dn: renamed, on: connection, relock: relock,
                    undo: {
                        try await Self.undo(modifications, current: rdnChange.renamed, dn: renamed, on: connection)
                    })
                return try await storedEntry(nil, fallback: renamed, connection: connection)
            }
            return try await storedEntry(written, fallback: renamed, connection: connection)
        } catch {
            do {
                _ = try await connection.rename(dn: renamed, newRDN: rdnChange.oldRDN, deleteOldRDN: !rdnChange.newValueExisted)
            } catch let undo {
                store.logger.error(
                    "could not undo a rename after a failed modify",
                    metadata: ["dn": "\(renamed)", "ldap.error": "\(undo.logDescription)"])
            }
            throw error
        }
    }

    /// The entry as written: from the Post-Read control, or read again on the same connection.
    private func storedEntry(_ written: LDAPWriteResult?, fallback dn: String, connection: LDAPConnection) async throws
        -> LDAPEntry
    {
        if let entry = written?.controls.postRead { return entry }
        let found = try await connection.search(base: dn, scope: .base, attributes: readList)
        guard let entry = found.entries.first else { throw SCIMError.notFound() }
        return entry
    }

    /// A modify whose failure the caller tells apart by code (untyped throws, so it catches `as LDAPError`).
    private static func modify(
        _ dn: String, _ modifications: [LDAPModification], controls: [LDAPRequestControl],
        on connection: LDAPConnection
    ) async throws -> LDAPWriteResult {
        try await connection.modify(dn: dn, modifications, controls: controls)
    }

    /// Puts back what `modifications` changed on `dn` (the entry was `current` before them).
    static func undo(_ modifications: [LDAPModification], current: LDAPEntry, dn: String, on connection: LDAPConnection)
        async throws
    {
        let inverse = ModificationUndo.inverse(of: modifications, current: current)
        guard !inverse.isEmpty else { return }
        _ = try await connection.modify(dn: dn, inverse)
    }
}
