import LDAPClient
import SCIMCore

/// The call's `StoreContext` applied: its lines go to the context's logger, and its `RequestScope` reaches the
/// directory through the client's `DirectoryScope` — a client limited to a subtree sees and changes only entries
/// inside it; a client with a proxy identity has every operation run as that identity (the directory's ACLs
/// decide, and a denial is 403); /Me writes run as the user's own entry.
extension LDAPResourceStore {
    /// This store serving one call: the same directory, pool and caches, with the call's logger and scope.
    func serving(_ context: StoreContext) -> LDAPResourceStore {
        var bound = self
        bound.logger = context.logger
        bound.scope = context.scope
        return bound
    }

    /// The directory scope of the client the call acts for.
    var directoryScope: DirectoryScope {
        scope.clientName.flatMap { clientScopes[$0] } ?? .unrestricted
    }

    /// Where entries of a resource type are searched for this request: the mapping's base narrowed to the
    /// client's subtree, or nil when the client may see none of them.
    func searchBase(_ mapped: ResourceMapping) -> (base: String, scope: LDAPScope)? {
        let mappedScope: LDAPScope = mapped.scope == .one ? .oneLevel : .subtree
        guard let limit = directoryScope.baseDN else { return (mapped.baseDN, mappedScope) }
        guard let limitDN = try? DistinguishedName(limit), let baseDN = try? DistinguishedName(mapped.baseDN) else {
            return nil
        }
        if baseDN.isDescendant(of: limitDN) { return (mapped.baseDN, mappedScope) }
        guard limitDN.isDescendant(of: baseDN) else { return nil }
        switch mapped.scope {
        case .sub:
            return (limit, .subtree)
        case .one:
            // Only direct children of the base are resources: the subtree names one of them, or none.
            return limitDN.rdns.count == baseDN.rdns.count + 1 ? (limit, .base) : nil
        }
    }

    /// True when the client's subtree (if any) contains `dn`.
    func isInScope(_ dn: String) -> Bool {
        guard let limit = directoryScope.baseDN else { return true }
        guard let limitDN = try? DistinguishedName(limit), let target = try? DistinguishedName(dn) else { return false }
        return target.isDescendant(of: limitDN)
    }

    /// Runs `body` on this store serving `context`: what `body` calls on the store it is given logs and scopes as
    /// the call, and its pool runs every LDAP operation as the client's proxy identity, if it has one.
    func scoped<T>(_ context: StoreContext, _ body: (LDAPResourceStore) async throws -> T) async throws -> T {
        var store = serving(context)
        if let identity = store.directoryScope.proxiedAuthorizationID { store.pool = store.pool.acting(as: identity) }
        return try await body(store)
    }

    /// Runs a write to `entry` on a store acting as the entry itself when the request is the entry's own user on
    /// /Me (so the directory's password policy and ACLs treat it as the user's own change); otherwise on this one.
    func actingAsOwner<T>(of entry: LDAPEntry, _ body: (LDAPResourceStore) async throws -> T) async throws -> T {
        guard directoryScope.proxiedAuthorizationID == nil, let acting = scope.actingUserID,
            let id = entry.string("entryUUID"), id.caseInsensitiveEquals(acting)
        else { return try await body(self) }
        var owner = self
        owner.pool = pool.acting(as: "dn:" + entry.dn)
        return try await body(owner)
    }
}

/// HTTP Basic for /Me: the user's password checked by the directory itself, with a simple bind as that user on a
/// connection of its own (so failed attempts count against the directory's lockout policy).
extension LDAPResourceStore: CredentialVerifier {
    public func verifyPassword(userName: String, password: String, type: ResolvedResourceType, context: StoreContext)
        async throws -> String?
    {
        try await serving(context).verify(userName: userName, password: password, type: type)
    }

    private func verify(userName: String, password: String, type: ResolvedResourceType) async throws -> String? {
        // An empty password would be an unauthenticated bind, which succeeds: never accept it.
        guard !password.isEmpty, !userName.isEmpty else { return nil }
        let mapped = try resourceMapping(type)
        guard let userNameAttribute = mapped.attributes.first(where: { $0.scim.caseInsensitiveEquals("userName") })?.ldap
        else { return nil }
        let found: LDAPSearchResult
        do {
            found = try await pool.search(
                base: mapped.baseDN, scope: mapped.scope == .one ? .oneLevel : .subtree,
                filter: .and([.equal(userNameAttribute, userName)] + mapped.selection),
                attributes: ["entryUUID"], sizeLimit: 2)
        } catch let error as LDAPError {
            throw translate(error, "user")
        }
        guard found.entries.count == 1, let entry = found.entries.first, let id = entry.string("entryUUID") else {
            return nil
        }
        return try await bindSucceeds(dn: entry.dn, password: password) ? id : nil
    }

    /// A simple bind as `dn` on a connection of its own: true when the directory accepts the password.
    func bindSucceeds(dn: String, password: String) async throws -> Bool {
        guard !password.isEmpty else { return false }
        var configuration = pool.configuration
        configuration.bind = .simple(dn: dn, password: LDAPSecret(password))
        configuration.poolSize = 1
        do {
            _ = try await LDAPConnection.connect(configuration, label: "credential-check")
            return true
        } catch let error where error.code == .invalidCredentials {
            return false
        } catch {
            throw translate(error, "user")
        }
    }
}
