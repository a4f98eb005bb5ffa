import LDAPClient

/// Reads what the directory shows about password hashing, as the service account: the root DSE's
/// `supportedExtension`, and — when the account may read cn=config, which it usually may not — the ppolicy overlay
/// of the database holding `baseDN` and the frontend's `olcPasswordHash`. Unreadable config is no evidence either way.
enum PasswordWriteProbe {
    static let passwordModifyOID = "1.3.6.1.4.1.4203.1.11.1"

    static func evidence(from pool: LDAPPool, baseDN: String) async throws -> PasswordWriteEvidence {
        var evidence = PasswordWriteEvidence()
        let root = try await pool.search(base: "", scope: .base, attributes: ["supportedExtension"])
        evidence.supportsPasswordModify = root.entries.first?.strings("supportedExtension").contains(passwordModifyOID) ?? false
        guard
            let databases = try? await pool.search(
                base: "cn=config", scope: .oneLevel,
                filter: .present("olcDatabase"), attributes: ["olcSuffix", "olcPasswordHash"])
        else { return evidence }
        let base = try? DistinguishedName(baseDN)
        let frontend = databases.entries.first { $0.dn.lowercased().hasPrefix("olcdatabase={-1}frontend,") }
        let holding = databases.entries.first { database in
            database.strings("olcSuffix").contains { suffix in
                guard let base, let suffixDN = try? DistinguishedName(suffix) else { return false }
                return base.isDescendant(of: suffixDN)
            }
        }
        guard let holding else { return evidence }
        evidence.configReadable = true
        let scheme = frontend?.strings("olcPasswordHash").first ?? "{SSHA}"
        evidence.directoryHashIsCleartext = scheme.uppercased().hasPrefix("{CLEARTEXT}")
        for database in [holding, frontend].compactMap({ $0 }) {
            let overlays = try? await pool.search(
                base: database.dn, scope: .oneLevel, filter: .equal("objectClass", "olcPPolicyConfig"),
                attributes: ["olcPPolicyHashCleartext"])
            if overlays?.entries.contains(where: { $0.string("olcPPolicyHashCleartext")?.uppercased() == "TRUE" }) == true {
                evidence.ppolicyHashesCleartext = true
            }
        }
        return evidence
    }
}
