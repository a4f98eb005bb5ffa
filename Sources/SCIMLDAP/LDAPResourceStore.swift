import Foundation
import LDAPClient
import Logging
import SCIMCore

/// The SCIM storage backed by an LDAP directory through a declarative `Mapping`.
public struct LDAPResourceStore: ResourceStore {
    public let pool: LDAPPool
    public let mapping: Mapping
    public let baseURL: String
    let logger: Logger
    let schemaRules = SchemaRulesCache()
    /// What the directory offers for listing (root DSE), read at start-up or at the first list.
    let directoryCapabilities = DirectoryCapabilitiesCache()
    let readLists = ReadAttributeLists()
    let groupCache: GroupCache
    /// What each resource type's mapping stores (writes carrying anything else are refused or trimmed).
    let stored: [String: MappedAttributes]
    /// The pool's connections drop password values, so reads may ask for `*` (`read: all`).
    let passwordsGuarded: Bool

    public init(pool: LDAPPool, mapping: Mapping, baseURL: String, logger: Logger = Logger(label: "scim.ldap"),
                groupCacheLifetime: Duration = .seconds(5)) {
        self.groupCache = GroupCache(lifetime: groupCacheLifetime)
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

    public func create(_ resource: JSONValue, type: ResolvedResourceType) async throws -> StoredResource {
        try await scoped { try await createScoped(resource, type: type) }
    }

    private func createScoped(_ resource: JSONValue, type: ResolvedResourceType) async throws -> StoredResource {
        let mapped = try resourceMapping(type)
        let resource = try storable(resource, type: type)
        guard isInScope(mapped.baseDN) else {
            throw SCIMError.forbidden("This client may not create \(type.resourceType.name) resources.")
        }
        let targets = try await resolver.targets(forIDs: referencedIDs(in: resource, mapped))
        let encoder = EntryEncoder(mapping: mapped, referenceDNs: targets.mapValues(\.dn))
        let encoded = try encoder.encodeNew(resource)
        let rdn = "\(mapped.rdnAttribute)=\(DistinguishedName.escape(encoded.rdnValue))"
        let controls: [LDAPRequestControl] = [.postRead(await readAttributes(mapped, projection: .all)), .passwordPolicy]
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
        guard let entry = written.controls.postRead else { throw SCIMError.internal() }
        return try await decode(entry, type: type, mapped: mapped, known: Array(targets.values))
    }

    public func get(id: String, type: ResolvedResourceType, projection: Projection) async throws -> StoredResource {
        try await scoped {
            let mapped = try resourceMapping(type)
            let entry = try await find(id: id, mapped: mapped, attributes: await readAttributes(mapped, projection: projection))
            return try await decode(entry, type: type, mapped: mapped, known: [])
        }
    }

    public func delete(id: String, type: ResolvedResourceType, ifMatch: String?) async throws {
        try await scoped { try await deleteScoped(id: id, type: type, ifMatch: ifMatch) }
    }

    private func deleteScoped(id: String, type: ResolvedResourceType, ifMatch: String?) async throws {
        let mapped = try resourceMapping(type)
        let entry = try await find(id: id, mapped: mapped, attributes: ["entryCSN", "entryUUID"])
        let controls: [LDAPRequestControl] = ifMatch.map { [.assertion(.equal("entryCSN", $0))] } ?? []
        try await actingAsOwner(of: entry) {
            switch mapped.delete ?? .delete {
            case .delete:
                _ = try await write { try await $0.delete(dn: entry.dn, controls: controls) }
            case .lock:
                let active = mapped.attributes.first { $0.kind == .active }
                    ?? AttributeMapping(scim: "active", ldap: "pwdAccountLockedTime", kind: .active)
                _ = try await write {
                    try await $0.modify(dn: entry.dn, [.replace(active.ldap, [active.inactiveLDAPValue])], controls: controls)
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

    public func ping() async throws {
        do {
            try await pool.ping()
        } catch let error as LDAPError {
            throw translate(error, "directory")
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
        if let groups = mapped.attributes.first(where: { $0.kind == .groups }),
           let groupMapping = mapping.resourceTypes.values.first(where: { $0.membership != nil })
        {
            let direct = entries.flatMap { $0.strings(groups.ldap) }
            if !direct.isEmpty {
                let resolver = GroupMembershipResolver(
                    pool: pool, groupsBase: groupMapping.baseDN, scope: groupMapping.scope == .one ? .oneLevel : .subtree,
                    selection: groupMapping.selection, membershipAttribute: groups.ldap,
                    displayAttribute: groupMapping.attributes.first { $0.scim.caseInsensitiveEquals("displayName") }?.ldap,
                    cache: groupCache)
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
        return try entries.map { try decoder.decode($0) }
    }

    /// DN → id (and display, type) for every manager/member DN in `entries`, in batched searches.
    func resolveReferences(in entries: [LDAPEntry], mapped: ResourceMapping, known: [ReferenceResolver.Target])
        async throws -> [String: EntryDecoder.ResolvedReference]
    {
        var references: [String: EntryDecoder.ResolvedReference] = [:]
        for target in known {
            references[DistinguishedNameKey.key(target.dn)] = .init(id: target.id, display: target.display,
                                                                    resourceType: target.resourceType)
        }
        let placeholder = mapped.membership?.placeholder.map(DistinguishedNameKey.key)
        var missing: Set<String> = []
        for entry in entries {
            for attribute in mapped.attributes where [.reference, .members, .groups].contains(attribute.kind) {
                for dn in entry.strings(attribute.ldap) {
                    let key = DistinguishedNameKey.key(dn)
                    if references[key] == nil, key != placeholder { missing.insert(dn) }
                }
            }
        }
        guard !missing.isEmpty else { return references }
        do {
            for (key, target) in try await resolver.targets(forDNs: Array(missing)) {
                references[key] = .init(id: target.id, display: target.display, resourceType: target.resourceType)
            }
        } catch let error as LDAPError {
            throw translate(error, "resource")
        }
        return references
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
