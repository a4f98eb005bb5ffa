import LDAPClient
import SCIMCore

/// The read path: an entry found by id, entries decoded into resources with every reference (manager, members,
/// groups) resolved in batched searches, and batches of ids rendered as `get` renders one. Works on the store
/// serving the call (its scope, proxy identity and logger).
struct ResourceReader {
    let store: LDAPResourceStore

    func get(id: String, type: ResolvedResourceType, projection: Projection) async throws -> StoredResource {
        let mapped = try store.resourceMapping(type)
        let entry = try await find(id: id, mapped: mapped, attributes: await store.readAttributes(mapped, projection: projection))
        return try await decode(
            Self.withoutUnresolvedGroups(entry, mapped: mapped, projection: projection), type: type,
            mapped: mapped, known: [])
    }

    /// The entry of `mapped` with this id, inside the client's subtree (404 otherwise).
    func find(id: String, mapped: ResourceMapping, attributes: [String]) async throws -> LDAPEntry {
        guard UUIDSyntax.isValid(id), let (base, scope) = store.searchBase(mapped) else {
            throw SCIMError.notFound("Resource \(id) not found.")
        }
        do {
            // When the selection is only object classes, the entry is found by entryUUID alone and its classes
            // checked here: an AND with (objectClass=…) makes slapd read that class's whole index list on every
            // lookup. A class it does not list by name (an OID, an alias) is left to the server's full filter.
            if let classes = mapped.selectionClasses {
                let wanted = ReadAttributeLists.withObjectClass(attributes)
                let found = try await store.pool.search(
                    base: base, scope: scope, filter: .equal("entryUUID", id),
                    attributes: wanted)
                guard let entry = found.entries.first else { throw SCIMError.notFound("Resource \(id) not found.") }
                if entry.listsObjectClasses(classes) { return entry }
            }
            let result = try await store.pool.search(
                base: base, scope: scope,
                filter: .and([.equal("entryUUID", id)] + mapped.selection),
                attributes: attributes)
            guard let entry = result.entries.first else { throw SCIMError.notFound("Resource \(id) not found.") }
            return entry
        } catch let error as LDAPError {
            throw store.translate(error, "resource")
        }
    }

    func decode(
        _ entry: LDAPEntry, type: ResolvedResourceType, mapped: ResourceMapping,
        known: [ReferenceResolver.Target]
    ) async throws -> StoredResource {
        try await decode([entry], type: type, mapped: mapped, known: known)[0]
    }

    /// Decodes a page of entries with every reference (manager, members, groups) resolved in batched searches.
    func decode(
        _ entries: [LDAPEntry], type: ResolvedResourceType, mapped: ResourceMapping,
        known: [ReferenceResolver.Target]
    ) async throws -> [StoredResource] {
        let decoder = try await decoder(for: entries, type: type, mapped: mapped, known: known)
        return try entries.map { try decoder.decode($0) }
    }

    /// An entry a write starts from, decoded, with the references it was decoded with: the write's view of the
    /// entry (`EntryUpdate.currentView`) is made from both instead of decoding the entry again.
    func decodeForWrite(_ entry: LDAPEntry, type: ResolvedResourceType, mapped: ResourceMapping) async throws -> DecodedEntry {
        let decoder = try await decoder(for: [entry], type: type, mapped: mapped, known: [])
        return DecodedEntry(resource: try decoder.decode(entry).resource, references: decoder.references)
    }

    /// A decoder for `entries`, their references (and groups, and password policies) looked up in batches.
    private func decoder(
        for entries: [LDAPEntry], type: ResolvedResourceType, mapped: ResourceMapping, known: [ReferenceResolver.Target]
    ) async throws -> EntryDecoder {
        var decoder = EntryDecoder(mapping: mapped, type: type, baseURL: store.baseURL)
        var known = known
        if let groups = mapped.attributes.first(where: { $0.kind.name == .groups }),
            let groupMapping = store.mapping.resourceTypes.values.first(where: { $0.membership != nil })
        {
            let direct = entries.flatMap { $0.strings(groups.ldap) }
            if !direct.isEmpty {
                let resolver = GroupMembershipResolver(
                    pool: store.pool, groupsBase: groupMapping.baseDN, scope: groupMapping.scope == .one ? .oneLevel : .subtree,
                    selection: groupMapping.selection, membershipAttribute: groups.ldap,
                    displayAttribute: groupMapping.attributes.first { $0.scim.caseInsensitiveEquals("displayName") }?.ldap,
                    // A client with a subtree or a proxy identity, or a /Me write acting as its user, may see fewer
                    // groups than the cache holds: only reads as the service account use and fill it.
                    cache: store.directoryScope == .unrestricted && store.pool.authorizationID == nil ? store.groupCache : nil)
                let resolution: GroupMembershipResolver.Resolution
                do {
                    resolution = try await resolver.resolve(direct)
                } catch let error as LDAPError {
                    throw store.translate(error, "resource")
                }
                known += resolution.targets.values
                for entry in entries {
                    let mine = Set(entry.strings(groups.ldap).map(DistinguishedNameKey.key))
                    decoder.indirectGroups[DistinguishedNameKey.key(entry.dn)] =
                        GroupMembershipResolver.indirect(from: mine, parents: resolution.parents)
                }
            }
        }
        decoder.references = try await store.references.resolve(in: entries, mapped: mapped, known: known)
        decoder.passwordPolicies = try await store.passwordPolicies(for: entries, mapped: mapped)
        return decoder
    }

    /// The resources of `type` with these ids that still match `extra`, rendered as `get` renders them with
    /// `projection`: one search per `batch` ids instead of one per resource, references resolved per batch. An id
    /// that is gone (or left the selection) is simply not in the result.
    func render(
        ids: [String], type: ResolvedResourceType, matching extra: LDAPFilter?, projection: Projection,
        batch: Int
    ) async throws -> [StoredResource] {
        let mapped = try store.resourceMapping(type)
        let attributes = await store.readAttributes(mapped, projection: projection)
        let valid = ids.filter(UUIDSyntax.isValid)
        var out: [StoredResource] = []
        out.reserveCapacity(valid.count)
        for chunk in valid.chunked(max(batch, 1)) {
            let wanted = LDAPFilter.or(chunk.map { .equal("entryUUID", Array($0.utf8)) })
            let found: LDAPSearchResult
            do {
                found = try await store.pool.search(
                    base: mapped.baseDN, scope: mapped.scope == .one ? .oneLevel : .subtree,
                    filter: .and([store.identityFilter(mapped, extra: extra), wanted]),
                    attributes: attributes, sizeLimit: chunk.count)
            } catch let error as LDAPError {
                throw store.translate(error, "resource")
            }
            let entries = found.entries.map { Self.withoutUnresolvedGroups($0, mapped: mapped, projection: projection) }
            out += try await decode(entries, type: type, mapped: mapped, known: [])
        }
        return out
    }

    /// `excludedAttributes=groups`: the entry without its membership attribute, so the memberships are not
    /// resolved (a search per nesting level saved).
    static func withoutUnresolvedGroups(_ entry: LDAPEntry, mapped: ResourceMapping, projection: Projection) -> LDAPEntry {
        guard projection.excludedAttributes.contains(where: { $0.caseInsensitiveEquals("groups") }),
            let groups = mapped.attributes.first(where: { $0.kind.name == .groups })
        else { return entry }
        return LDAPEntry(dn: entry.dn, attributes: entry.attributes.filter { !$0.type.caseInsensitiveEquals(groups.ldap) })
    }
}

/// An entry as the gateway shows it, with the references (DN key → id) its resource was decoded with.
struct DecodedEntry {
    let resource: JSONValue
    let references: [String: EntryDecoder.ResolvedReference]
}
