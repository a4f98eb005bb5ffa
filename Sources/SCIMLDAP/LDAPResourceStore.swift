import Foundation
import LDAPClient
import Logging
import SCIMCore

/// The SCIM storage backed by an LDAP directory through a declarative `Mapping`: a facade that holds what every
/// call shares (pool, mapping, caches, client scopes), binds itself to the call (`scoped`, `serving`) and hands
/// it to the type whose job it is — `ResourceReader`, `ResourceSearch`, `ResourceCreation`, `ResourceReplacement`,
/// `ResourcePatch` (both through `EntryUpdate`), `MembershipChange`, `ResourceDeletion`, `ReferenceLookup`,
/// `PasswordWrites`, `PasswordActions`. A write's If-Match becomes one `IfMatchCondition` here.
public struct LDAPResourceStore: ResourceStore {
    /// The directory's connections, acting as the call's proxy identity while a call is served (`scoped`);
    /// `pool.asBoundIdentity` is the service account, for reads that must not depend on who asks.
    public internal(set) var pool: LDAPPool
    public let mapping: Mapping
    public let baseURL: String
    /// The store's own lines (start-up checks); a call's lines go to its context's logger (see `serving`).
    var logger: Logger
    /// Who the call being served acts for (see `serving`); unrestricted for the gateway's own work.
    var scope: RequestScope = .unrestricted
    let schemaRules = SchemaRulesCache()
    /// What the directory offers for listing (root DSE), read at start-up or at the first list.
    let directoryCapabilities = DirectoryCapabilitiesCache()
    let readLists = ReadAttributeLists()
    let groupCache: GroupCache
    /// What each resource type's mapping stores (writes carrying anything else are refused or trimmed).
    let stored: [String: MappedAttributes]
    /// The pool's connections drop password values, so reads may ask for `*` (`read: all`).
    let passwordsGuarded: Bool
    /// How passwords are written (`ldap.passwordWrite`); `auto` decides from the directory, never clear text.
    let passwordWrite: PasswordWriteSetting
    let passwordMethods = PasswordWriteCache()
    /// pwdPolicy entries behind `passwordState` (and `/PasswordPolicies`), kept a few seconds.
    let passwordPolicyCache: PasswordPolicyCache
    /// Client name → where that client's requests reach (see `DirectoryScope`); clients not named are unrestricted.
    let clientScopes: [String: DirectoryScope]
    /// The page sizes lists are served with (the HTTP layer is given the same value).
    let pageLimits: PageLimits
    /// The bases of the group types, parsed once (see `mayHoldGroup`).
    let groupBases: [DistinguishedName]

    public init(
        pool: LDAPPool, mapping: Mapping, baseURL: String, logger: Logger = Logger(label: "scim.ldap"),
        groupCacheLifetime: Duration = .seconds(5), passwordWrite: PasswordWriteSetting = .auto,
        clientScopes: [String: DirectoryScope] = [:], pageLimits: PageLimits = .standard
    ) {
        self.passwordWrite = passwordWrite
        self.clientScopes = clientScopes
        self.pageLimits = pageLimits
        self.groupCache = GroupCache(lifetime: groupCacheLifetime)
        let policySeconds = mapping.resourceTypes.values.compactMap { $0.passwordPolicy?.cacheSeconds }.min() ?? 5
        self.passwordPolicyCache = PasswordPolicyCache(lifetime: .seconds(max(0, policySeconds)))
        self.pool = pool
        self.mapping = mapping
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.logger = logger
        self.stored = mapping.resourceTypes.mapValues(MappedAttributes.init)
        self.passwordsGuarded = pool.configuration.neverRead.isSuperset(of: mapping.passwordAttributes)
        self.groupBases = mapping.resourceTypes.values.filter { $0.membership != nil }.compactMap { try? DistinguishedName($0.baseDN) }
    }

    // MARK: ResourceStore

    public func create(_ resource: JSONValue, type: ResolvedResourceType, context: StoreContext) async throws
        -> StoredResource
    {
        try await scoped(context) { try await ResourceCreation(store: $0).create(resource, type: type) }
    }

    public func get(id: String, type: ResolvedResourceType, projection: Projection, context: StoreContext) async throws
        -> StoredResource
    {
        try await scoped(context) { try await $0.reader.get(id: id, type: type, projection: projection) }
    }

    public func search(_ request: SearchRequest, type: ResolvedResourceType, context: StoreContext) async throws
        -> ResourcePage
    {
        try await scoped(context) { try await ResourceSearch(store: $0).search(request, type: type) }
    }

    public func replace(
        id: String, with resource: JSONValue, type: ResolvedResourceType, ifMatch: String?,
        context: StoreContext
    ) async throws -> StoredResource {
        try await scoped(context) { store in
            try await store.retryingConcurrentChanges {
                try await ResourceReplacement(store: store).replace(
                    id: id, with: resource, type: type,
                    condition: IfMatchCondition(ifMatch))
            }
        }
    }

    public func patch(
        id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection,
        ifMatch: String?, validator: ResourceValidator, context: StoreContext
    ) async throws -> StoredResource {
        try await scoped(context) { store in
            try await store.retryingConcurrentChanges {
                try await ResourcePatch(store: store).patch(
                    id: id, request: request, type: type, projection: projection,
                    condition: IfMatchCondition(ifMatch), validator: validator)
            }
        }
    }

    public func delete(id: String, type: ResolvedResourceType, ifMatch: String?, context: StoreContext) async throws {
        try await scoped(context) { try await ResourceDeletion(store: $0).delete(id: id, type: type, condition: IfMatchCondition(ifMatch)) }
    }

    public func ping(context: StoreContext) async throws {
        do {
            try await pool.ping()
        } catch let error as LDAPError {
            throw serving(context).translate(error, "directory")
        }
    }

    // MARK: Shared by the jobs

    /// `resource` as the mapping can store it: ignored attributes removed, others refused (400 invalidValue).
    func storable(_ resource: JSONValue, type: ResolvedResourceType) throws -> JSONValue {
        guard let stored = stored[type.resourceType.name] else { return resource }
        return try stored.enforce(resource, type: type)
    }

    func resourceMapping(_ type: ResolvedResourceType) throws -> ResourceMapping {
        guard let mapped = mapping.resourceTypes[type.resourceType.name] else {
            throw SCIMError.notFound("Resource type \(type.resourceType.name) is not mapped.")
        }
        return mapped
    }

    /// The jobs the store's calls are made of, each working on this store (bound to the call it serves).
    var reader: ResourceReader { ResourceReader(store: self) }
    var references: ReferenceLookup { ReferenceLookup(store: self) }

    /// LDAP attributes to read for a resource (never passwords: with `read: all` the pool's connections drop
    /// them, see `LDAPConfiguration.neverRead`).
    func readAttributes(_ mapped: ResourceMapping, projection: Projection) async -> [String] {
        let skipMembers =
            projection.excludedAttributes.contains { $0.caseInsensitiveEquals("members") }
            || (!projection.attributes.isEmpty && !projection.attributes.contains { $0.lowercased().hasPrefix("members") })
        let lists = await readLists.lists(for: mapped, guarded: passwordsGuarded) {
            // Read once for every client, as the service account itself (not a client's proxy identity).
            try? await schemaRules.rules(from: pool.asBoundIdentity)
        }
        return skipMembers ? lists.withoutMembers : lists.all
    }

    /// The directory's matching rules (read from its subschema once).
    func directoryRules() async throws -> DirectorySchemaRules {
        do {
            return try await schemaRules.rules(from: pool)
        } catch let error as LDAPError {
            throw translate(error, "schema")
        }
    }

    /// Runs a write on a pooled connection, translating LDAP failures into SCIM errors (and logging diagnostics).
    func write(_ body: (LDAPConnection) async throws -> LDAPWriteResult) async throws -> LDAPWriteResult {
        // Cleared before and after, so no read racing the write caches what it replaces.
        groupCache.clear()
        defer { groupCache.clear() }
        do {
            return try await pool.withConnection(body)
        } catch let error as LDAPError where error.code == .entryAlreadyExists {
            throw error  // the caller may retry with another RDN
        } catch let error as LDAPError {
            throw translate(error, "resource")
        }
    }

    func translate(_ error: LDAPError, _ what: String) -> SCIMError {
        logger.debug("LDAP operation failed", metadata: ["ldap.error": "\(error.logDescription)"])
        return LDAPErrorTranslation.scimError(error, resource: what)
    }
}
