import Foundation
import LDAPClient
import Logging
import SCIMCore

/// The SCIM storage backed by an LDAP directory through a declarative `Mapping`.
public struct LDAPResourceStore: ResourceStore {
    public let pool: LDAPPool
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

    public init(pool: LDAPPool, mapping: Mapping, baseURL: String, logger: Logger = Logger(label: "scim.ldap"),
                groupCacheLifetime: Duration = .seconds(5), passwordWrite: PasswordWriteSetting = .auto,
                clientScopes: [String: DirectoryScope] = [:], pageLimits: PageLimits = .standard) {
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
    }

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

    var resolver: ReferenceResolver {
        ReferenceResolver(pool: pool, mappings: mapping.resourceTypes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// LDAP attributes to read for a resource (never passwords: with `read: all` the pool's connections drop
    /// them, see `LDAPConfiguration.neverRead`).
    func readAttributes(_ mapped: ResourceMapping, projection: Projection) async -> [String] {
        let skipMembers = projection.excludedAttributes.contains { $0.caseInsensitiveEquals("members") }
            || (!projection.attributes.isEmpty && !projection.attributes.contains { $0.lowercased().hasPrefix("members") })
        let lists = await readLists.lists(for: mapped, guarded: passwordsGuarded) {
            // Read once for every client, as the service account itself (not a client's proxy identity).
            try? await LDAPProxy.$authorizationID.withValue(nil) { try await schemaRules.rules(from: pool) }
        }
        return skipMembers ? lists.withoutMembers : lists.all
    }

    // MARK: ResourceStore

    public func create(_ resource: JSONValue, type: ResolvedResourceType, context: StoreContext) async throws
        -> StoredResource
    {
        try await scoped(context) { try await $0.createScoped(resource, type: type) }
    }

    private func createScoped(_ resource: JSONValue, type: ResolvedResourceType) async throws -> StoredResource {
        let mapped = try resourceMapping(type)
        let resource = try storable(resource, type: type)
        guard isInScope(mapped.baseDN) else {
            throw SCIMError.forbidden("This client may not create \(type.resourceType.name) resources.")
        }
        let targets = try await resolver.targets(forIDs: referencedIDs(in: resource, mapped))
        let encoder = encoder(mapped, targets: targets)
        var encoded = try encoder.encodeNew(resource)
        encoded.attributes = try await completedForCreation(encoded.attributes, resource: resource, mapped: mapped)
        var pending: PendingPassword?
        if let password = mapped.attributes.first(where: { $0.kind.name == .password }),
           encoded.attributes.contains(where: { ModificationPlanner.type(of: $0.0) == password.ldap.lowercased() })
        {
            let method = try await passwordMethodForWrite(type.resourceType.name, mapped)
            (encoded.attributes, pending) = Self.applying(method, passwordType: password.ldap.lowercased(), to: encoded.attributes)
        }
        let rdn = "\(mapped.rdnAttribute)=\(DistinguishedName.escape(encoded.rdnValue))"
        let readList = await readAttributes(mapped, projection: .all)
        let controls: [LDAPRequestControl] = [.postRead(readList), .passwordPolicy]
        let written: LDAPWriteResult
        do {
            do {
                written = try await write {
                    try await $0.add(dn: "\(rdn),\(mapped.baseDN)", attributes: encoded.attributes, controls: controls)
                }
            } catch let error as LDAPError where error.code == .entryAlreadyExists && mapped.rdnCollision != nil {
                // Another resource has the same RDN value (groups may share a displayName): disambiguate.
                let extra = mapped.rdnCollision ?? "scimId"
                let uniqueID = UUID().uuidString.lowercased()
                let attributes = encoded.attributes + [(extra, [Array(uniqueID.utf8)])]
                written = try await write {
                    try await $0.add(dn: "\(rdn)+\(extra)=\(uniqueID),\(mapped.baseDN)", attributes: attributes,
                                     controls: controls)
                }
            }
        } catch let error as LDAPError {
            throw translate(error, type.resourceType.name)
        }
        guard var entry = written.controls.postRead else { throw SCIMError.internal() }
        if let pending {
            // The entry exists without a password; a refused password removes it again.
            let dn = entry.dn
            do {
                entry = try await pool.withConnection { connection in
                    try await setPassword(pending, dn: dn, on: connection,
                                          relock: Self.relock(mapped, resource: resource, current: nil),
                                          undo: { _ = try await connection.delete(dn: dn) })
                    guard let reread = try await connection.search(base: dn, scope: .base, attributes: readList).entries.first
                    else { throw SCIMError.notFound() }
                    return reread
                }
            } catch let error as LDAPError {
                throw translate(error, type.resourceType.name)
            }
        }
        return try await decode(entry, type: type, mapped: mapped, known: Array(targets.values))
    }

    /// A new entry's attributes with the mapping's `defaults` and `allocate` filled in (posixAccount).
    func completedForCreation(_ attributes: [(String, [[UInt8]])], resource: JSONValue, mapped: ResourceMapping)
        async throws -> [(String, [[UInt8]])]
    {
        var attributes = try NewEntryDefaults(mapping: mapped).apply(to: attributes, resource: resource)
        for (ldap, allocation) in (mapped.allocate ?? [:]).sorted(by: { $0.key < $1.key })
        where !attributes.contains(where: { ModificationPlanner.type(of: $0.0) == ldap.lowercased() && !$0.1.isEmpty }) {
            do {
                // Numbers are unique across the naming context (users outside the bases hold them too).
                let context = try await namingContext(of: mapped.baseDN)
                let number = try await NumberAllocator(pool: pool).allocate(ldap, allocation, base: context)
                attributes.append((ldap, [Array(number.utf8)]))
            } catch let error as LDAPError {
                throw translate(error, "counter")
            }
        }
        return attributes
    }

    /// The directory's naming context (root DSE `namingContexts`) holding `dn`; `dn` itself when none does.
    func namingContext(of dn: String) async throws -> String {
        let root = try await pool.search(base: "", scope: .base, attributes: ["namingContexts"])
        guard let parsed = try? DistinguishedName(dn) else { return dn }
        let contexts = (root.entries.first?.strings("namingContexts") ?? []).compactMap { try? DistinguishedName($0) }
        return contexts.filter { parsed.isDescendant(of: $0) }.max { $0.rdns.count < $1.rdns.count }?.description ?? dn
    }

    public func get(id: String, type: ResolvedResourceType, projection: Projection, context: StoreContext) async throws
        -> StoredResource
    {
        try await scoped(context) { try await $0.getScoped(id: id, type: type, projection: projection) }
    }

    private func getScoped(id: String, type: ResolvedResourceType, projection: Projection) async throws -> StoredResource {
        let mapped = try resourceMapping(type)
        let entry = try await find(id: id, mapped: mapped, attributes: await readAttributes(mapped, projection: projection))
        return try await decode(withoutUnresolvedGroups(entry, mapped: mapped, projection: projection), type: type, mapped: mapped,
                                known: [])
    }

    public func delete(id: String, type: ResolvedResourceType, ifMatch: String?, context: StoreContext) async throws {
        try await scoped(context) { try await $0.deleteScoped(id: id, type: type, ifMatch: ifMatch) }
    }

    private func deleteScoped(id: String, type: ResolvedResourceType, ifMatch: String?) async throws {
        let mapped = try resourceMapping(type)
        let entry = try await find(id: id, mapped: mapped, attributes: ["entryCSN", "entryUUID"])
        let controls = try IfMatchCondition(ifMatch).controls(current: entry)
        try await actingAsOwner(of: entry) {
            switch mapped.delete ?? .delete {
            case .delete:
                _ = try await write { try await $0.delete(dn: entry.dn, controls: controls) }
            case .lock:
                // The mapped `active`, else ppolicy's permanent lock.
                let active = mapped.attributes.first { $0.kind.name == .active }
                let ldap = active?.ldap ?? "pwdAccountLockedTime"
                let inactive = active?.active?.inactiveValue ?? ActiveLock.permanentLock
                _ = try await write {
                    try await $0.modify(dn: entry.dn, [.replace(ldap, [inactive])], controls: controls)
                }
            case .move:
                // Out of the resource base (so no longer a resource), kept for the directory's owners.
                guard let target = mapped.deletedBaseDN, let rdn = try? DistinguishedName(entry.dn).rdn?.description else {
                    throw SCIMError.internal()
                }
                _ = try await write {
                    try await $0.rename(dn: entry.dn, newRDN: rdn, deleteOldRDN: true, newSuperior: target, controls: controls)
                }
            }
        }
    }

    public func ping(context: StoreContext) async throws {
        do {
            try await pool.ping()
        } catch let error as LDAPError {
            throw serving(context).translate(error, "directory")
        }
    }

    // MARK: Helpers

    func find(id: String, mapped: ResourceMapping, attributes: [String]) async throws -> LDAPEntry {
        guard UUIDSyntax.isValid(id), let (base, scope) = searchBase(mapped) else {
            throw SCIMError.notFound("Resource \(id) not found.")
        }
        do {
            // When the selection is only object classes, the entry is found by entryUUID alone and its classes
            // checked here: an AND with (objectClass=…) makes slapd read that class's whole index list on every
            // lookup. A class it does not list by name (an OID, an alias) is left to the server's full filter.
            if let classes = mapped.selectionClasses {
                let wanted = ReadAttributeLists.withObjectClass(attributes)
                let found = try await pool.search(base: base, scope: scope, filter: .equal("entryUUID", id), attributes: wanted)
                guard let entry = found.entries.first else { throw SCIMError.notFound("Resource \(id) not found.") }
                if entry.listsObjectClasses(classes) { return entry }
            }
            let result = try await pool.search(base: base, scope: scope,
                                               filter: .and([.equal("entryUUID", id)] + mapped.selection), attributes: attributes)
            guard let entry = result.entries.first else { throw SCIMError.notFound("Resource \(id) not found.") }
            return entry
        } catch let error as LDAPError {
            throw translate(error, "resource")
        }
    }

    func decode(_ entry: LDAPEntry, type: ResolvedResourceType, mapped: ResourceMapping,
                known: [ReferenceResolver.Target]) async throws -> StoredResource {
        try await decode([entry], type: type, mapped: mapped, known: known)[0]
    }

    /// Decodes a page of entries with every reference (manager, members, groups) resolved in batched searches.
    func decode(_ entries: [LDAPEntry], type: ResolvedResourceType, mapped: ResourceMapping,
                known: [ReferenceResolver.Target]) async throws -> [StoredResource] {
        var decoder = EntryDecoder(mapping: mapped, type: type, baseURL: baseURL)
        var known = known
        if let groups = mapped.attributes.first(where: { $0.kind.name == .groups }),
           let groupMapping = mapping.resourceTypes.values.first(where: { $0.membership != nil })
        {
            let direct = entries.flatMap { $0.strings(groups.ldap) }
            if !direct.isEmpty {
                let resolver = GroupMembershipResolver(
                    pool: pool, groupsBase: groupMapping.baseDN, scope: groupMapping.scope == .one ? .oneLevel : .subtree,
                    selection: groupMapping.selection, membershipAttribute: groups.ldap,
                    displayAttribute: groupMapping.attributes.first { $0.scim.caseInsensitiveEquals("displayName") }?.ldap,
                    // A client with a subtree or a proxy identity may see fewer groups than the cache holds.
                    cache: directoryScope == .unrestricted ? groupCache : nil)
                let resolution: GroupMembershipResolver.Resolution
                do {
                    resolution = try await resolver.resolve(direct)
                } catch let error as LDAPError {
                    throw translate(error, "resource")
                }
                known += resolution.targets.values
                for entry in entries {
                    let mine = Set(entry.strings(groups.ldap).map(DistinguishedNameKey.key))
                    decoder.indirectGroups[DistinguishedNameKey.key(entry.dn)] =
                        GroupMembershipResolver.indirect(from: mine, parents: resolution.parents)
                }
            }
        }
        decoder.references = try await resolveReferences(in: entries, mapped: mapped, known: known)
        decoder.passwordPolicies = try await passwordPolicies(for: entries, mapped: mapped)
        return try entries.map { try decoder.decode($0) }
    }

    /// DN → id (and display, type) for every manager/member DN in `entries`, in batched searches.
    func resolveReferences(in entries: [LDAPEntry], mapped: ResourceMapping, known: [ReferenceResolver.Target],
                           kinds: Set<AttributeMapping.Kind.Name> = [.reference, .members, .groups])
        async throws -> [String: EntryDecoder.ResolvedReference]
    {
        var references: [String: EntryDecoder.ResolvedReference] = [:]
        for target in known {
            let reference = EntryDecoder.ResolvedReference(id: target.id, display: target.display, resourceType: target.resourceType)
            references[DistinguishedNameKey.key(target.dn)] = reference
            if let attribute = mapped.membership?.value, let value = target.values[attribute.lowercased()] {
                references[ReferenceResolver.valueKey(value)] = reference
            }
        }
        let placeholder = mapped.membership?.placeholder.map(DistinguishedNameKey.key)
        var missing: Set<String> = []
        var missingValues: Set<String> = []
        let valueAttribute = mapped.membership?.value
        for entry in entries {
            for attribute in mapped.attributes where kinds.contains(attribute.kind.name) {
                if attribute.kind.name == .members, valueAttribute != nil {
                    for value in entry.strings(attribute.ldap) where references[ReferenceResolver.valueKey(value)] == nil {
                        missingValues.insert(value)
                    }
                    continue
                }
                for dn in entry.strings(attribute.ldap) {
                    let key = DistinguishedNameKey.key(dn)
                    if references[key] == nil, key != placeholder { missing.insert(dn) }
                }
            }
        }
        guard !missing.isEmpty || !missingValues.isEmpty else { return references }
        do {
            for (key, target) in try await resolver.targets(forDNs: Array(missing)) {
                references[key] = .init(id: target.id, display: target.display, resourceType: target.resourceType)
            }
            if let valueAttribute, !missingValues.isEmpty {
                for (key, target) in try await resolver.targets(forValues: Array(missingValues), attribute: valueAttribute) {
                    references[key] = .init(id: target.id, display: target.display, resourceType: target.resourceType)
                }
            }
        } catch let error as LDAPError {
            throw translate(error, "resource")
        }
        return references
    }

    /// An encoder for `mapped` with the resolved targets: DNs, or stored member values (`membership.value`).
    func encoder(_ mapped: ResourceMapping, targets: [String: ReferenceResolver.Target]) -> EntryEncoder {
        var encoder = EntryEncoder(mapping: mapped, referenceDNs: targets.mapValues(\.dn))
        encoder.memberValues = memberValues(mapped, targets: targets)
        return encoder
    }

    /// id → the value a member is stored by, when the mapping stores members by value (nil: by DN).
    func memberValues(_ mapped: ResourceMapping, targets: [String: ReferenceResolver.Target]) -> [String: String]? {
        guard let attribute = mapped.membership?.value?.lowercased() else { return nil }
        return targets.compactMapValues { $0.values[attribute] }
    }

    func referencedIDs(in resource: JSONValue, _ mapped: ResourceMapping) -> [String] {
        var ids: [String] = []
        for attribute in mapped.attributes {
            guard let value = resource.value(at: attribute.path) else { continue }
            switch attribute.kind {
            case .reference: if let id = value["value"]?.stringValue ?? value.stringValue { ids.append(id) }
            case .members: ids += (value.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
            default: break
            }
        }
        return ids
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

    func logUndoFailure(_ error: LDAPError, dn: String) {
        logger.error("could not undo a rename after a failed modify", metadata: ["dn": "\(dn)", "ldap.error": "\(error.logDescription)"])
    }

    func translate(_ error: LDAPError, _ what: String) -> SCIMError {
        logger.debug("LDAP operation failed", metadata: ["ldap.error": "\(error.logDescription)"])
        return LDAPErrorTranslation.scimError(error, resource: what)
    }
}
