import LDAPClient
import Logging
import SCIMCore

/// Passwords are never stored in clear text: each write applies the method decided for the directory
/// (`PasswordWriteMethod`): as sent for a directory that hashes (`modify`), hashed by the gateway (`hash`), or
/// taken out of the add/modify and set with the Password Modify operation right after it (`exop`), undoing the
/// add/modify when the directory refuses the password.
struct PasswordWrites {
    let store: LDAPResourceStore

    /// A password held back for the Password Modify operation that follows the add/modify.
    struct Pending: Sendable {
        let value: LDAPSecret  // redacted in any description
    }

    /// The method for `mapped`'s passwords (nil when it maps none), decided once per resource type.
    func method(_ typeName: String, _ mapped: ResourceMapping) async throws -> PasswordWriteMethod? {
        guard let attribute = mapped.attributes.first(where: { $0.kind.name == .password }) else { return nil }
        return try await store.passwordMethods.method(for: typeName) {
            // As the service account, whatever identity the request acts as.
            let evidence = try await PasswordWriteProbe.evidence(from: store.pool.asBoundIdentity, baseDN: mapped.baseDN)
            return try PasswordWriteDecision.decide(store.passwordWrite, attribute: attribute.ldap, evidence: evidence)
        }
    }

    /// The method for a write that carries a password. A refusal here (start-up did not check) is logged, never
    /// worked around: the write fails rather than store the password as sent.
    func methodForWrite(_ typeName: String, _ mapped: ResourceMapping) async throws -> PasswordWriteMethod {
        do {
            return try await method(typeName, mapped) ?? .modify
        } catch let refusal as PasswordWriteRefusal {
            store.logger.error("password not written", metadata: ["reason": "\(refusal.description)"])
            throw SCIMError.unavailable(
                "The directory offers no safe way to store passwords (they are never stored in clear text); the gateway's log names what to configure."
            )
        } catch let error as LDAPError {
            throw store.translate(error, "directory")
        }
    }

    /// `modifications` as `method` writes them: unchanged (`modify`), the password hashed (`hash`), or the
    /// password taken out to be set afterwards (`exop`).
    static func applying(_ method: PasswordWriteMethod, passwordType: String, to modifications: [LDAPModification])
        -> (modifications: [LDAPModification], pending: Pending?)
    {
        var pending: Pending?
        var out: [LDAPModification] = []
        for modification in modifications {
            guard ModificationPlanner.type(of: modification.attribute) == passwordType, !modification.values.isEmpty else {
                out.append(modification)
                continue
            }
            switch method {
            case .modify:
                out.append(modification)
            case .hash:
                out.append(LDAPModification(modification.operation, modification.attribute, modification.values.map(hashed)))
            case .exop:
                pending = modification.values.first.map { Pending(value: LDAPSecret(String(decoding: $0, as: UTF8.self))) }
            }
        }
        return (out, pending)
    }

    /// The attributes of a new entry as `method` writes them (see `applying(_:passwordType:to:)` above).
    static func applying(_ method: PasswordWriteMethod, passwordType: String, to attributes: [(String, [[UInt8]])])
        -> (attributes: [(String, [[UInt8]])], pending: Pending?)
    {
        let asModifications = attributes.map { LDAPModification(.add, $0.0, $0.1) }
        let (applied, pending) = applying(method, passwordType: passwordType, to: asModifications)
        return (applied.map { ($0.attribute, $0.values) }, pending)
    }

    private static func hashed(_ value: [UInt8]) -> [UInt8] {
        Array(SaltedSHA.hash(String(decoding: value, as: UTF8.self)).utf8)
    }

    /// Sets `pending` on `dn` with Password Modify (hashed and policy-checked by the directory). When the directory
    /// refuses it, `undo` (of the add/modify before it) runs first, so nothing of the write remains, and the
    /// refusal is rethrown as it came: the caller translates it, and a history refusal of a resent current
    /// password is handled like the single-modify case (checked by a bind on the entry as it was, then written
    /// again without the password).
    /// `relock`: applied after the password is set (see `relock(_:resource:current:removed:)`).
    func set(
        _ pending: Pending, dn: String, on connection: LDAPConnection, relock: [LDAPModification] = [],
        undo: () async throws -> Void
    ) async throws {
        do {
            try await connection.passwordModify(user: dn, newPassword: pending.value, controls: [.passwordPolicy])
        } catch {
            do {
                try await undo()
            } catch let failure {
                store.logger.error(
                    "could not undo a write whose password the directory refused",
                    metadata: ["dn": "\(dn)", "error": "\((failure as? LDAPError)?.logDescription ?? "\(failure)")"])
            }
            throw error
        }
        if !relock.isEmpty { _ = try await connection.modify(dn: dn, relock) }
    }

    /// ppolicy clears its lock when a password is reset, and Password Modify runs after the modify that set it:
    /// the permanent lock to set again when the written resource is inactive (`active` false, or omitted on an
    /// entry that was locked).
    static func relock(_ mapped: ResourceMapping, resource: JSONValue, current: LDAPEntry?, removed: Set<String> = [])
        -> [LDAPModification]
    {
        guard let active = mapped.attributes.first(where: { $0.kind.name == .active }), let settings = active.active,
            !settings.isPlainAttribute
        else { return [] }
        let inactive: Bool
        if let wanted = resource.value(at: active.path)?.boolValue {
            inactive = !wanted
        } else if removed.contains(active.path.attribute.lowercased()) {
            inactive = false
        } else {
            inactive = current.map { ActiveLock.isInactive($0, active.ldap, settings) } ?? false
        }
        return inactive ? [.replace(active.ldap, [ActiveLock.permanentLock])] : []
    }
}
