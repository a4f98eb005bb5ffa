import LDAPClient

/// Changes to a running instance's cn=config, for tests that need a directory unlike the bundled one (only for
/// `configStyle: .cnConfig`).
extension SlapdInstance {
    /// A connection to cn=config over this instance's ldapi socket with SASL EXTERNAL: this process's peer
    /// credentials have `manage` on the config database.
    public func configConnection() async throws -> LDAPConnection {
        try await LDAPConnection.connect(LDAPConfiguration(uris: [ldapiURL], bind: .saslExternal, poolSize: 1))
    }

    /// The ppolicy overlay of the data database: `hashCleartext` false makes slapd store a password written by a
    /// plain modify as sent (a directory without `olcPPolicyHashCleartext`); `defaultPolicy` false removes the
    /// default policy, so no password rule applies to the entries (as without ppolicy).
    public func setPasswordPolicy(hashCleartext: Bool, defaultPolicy: Bool = true) async throws {
        let config = try await configConnection()
        let overlay = "olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config"
        var changes: [LDAPModification] = [.replace("olcPPolicyHashCleartext", [hashCleartext ? "TRUE" : "FALSE"])]
        if !defaultPolicy { changes.append(.delete("olcPPolicyDefault")) }
        _ = try await config.modify(dn: overlay, changes)
    }

    /// Lets the service account read cn=config (Debian's default denies it), so it can see how the directory
    /// hashes passwords.
    public func grantServiceConfigRead() async throws {
        let config = try await configConnection()
        _ = try await config.modify(
            dn: "olcDatabase={0}config,cn=config",
            [
                .add("olcAccess", ["{1}to * by dn.exact=\"\(serviceDN)\" read by * break"])
            ])
    }
}
