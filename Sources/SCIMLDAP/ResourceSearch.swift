import LDAPClient
import Logging
import SCIMCore

/// Listing, the read path's searches: with the directory's server-side sort + VLV, one LDAP search where the
/// directory sorts, counts and cuts the page (random access by startIndex, exact totalResults); without them, a
/// paged walk that counts and picks the window in the directory's order (`PagedWalk`). Either way the gateway holds
/// only the page, and a size limit of the directory is a 400 `tooMany`, never a short total.
struct ResourceSearch {
    let store: LDAPResourceStore

    func search(_ request: SearchRequest, type: ResolvedResourceType) async throws -> ResourcePage {
        let mapped = try store.resourceMapping(type)
        let name = type.resourceType.name
        let capabilities = try await store.listingCapabilities()
        guard let strategy = capabilities.listing else { throw ListingErrors.listingUnavailable() }
        if request.sortBy != nil, !capabilities.sorting { throw ListingErrors.sortUnavailable() }
        let count = store.pageLimits.count(request.count)
        let filter = try await ldapFilter(for: request.filter, type: type, mapped: mapped)
        let attributes = count == 0 ? ["1.1"] : await store.readAttributes(mapped, projection: request.projection)
        guard let (base, scope) = store.searchBase(mapped) else {
            return ResourcePage(resources: [], totalResults: 0, startIndex: request.startIndex)
        }
        do {
            // Lookups (userName eq, externalId eq) match a handful of entries: an unsorted first page that fits in
            // one plain search needs neither sort nor VLV, and its total is exact because no size limit was hit.
            if request.sortBy == nil, request.startIndex == 1, count > 0, request.filter != nil,
                let found = try await lookup(filter, base: base, scope: scope, mapped: mapped, attributes: attributes, count: count)
            {
                let resources = try await store.reader.decode(found, type: type, mapped: mapped, known: [])
                return ResourcePage(resources: resources, totalResults: resources.count, startIndex: 1)
            }
            let result: (entries: [LDAPEntry], total: Int)
            switch strategy {
            case .sortedWindow:
                result = try await sortedWindow(
                    request, type: type, mapped: mapped, base: base, scope: scope,
                    filter: filter, attributes: attributes, count: count)
            case .pagedWalk:
                result = try await pagedWindow(
                    request, mapped: mapped, base: base, scope: scope, filter: filter,
                    attributes: attributes, count: count)
            }
            let entries = count == 0 ? [] : Array(result.entries.prefix(count))
            let resources = try await store.reader.decode(entries, type: type, mapped: mapped, known: [])
            return ResourcePage(resources: resources, totalResults: result.total, startIndex: request.startIndex)
        } catch let limited as PagedWalk.SizeLimited {
            store.logSizeLimit(name, counted: limited.counted, paged: true)
            throw ListingErrors.sizeLimited(name)
        } catch let error as LDAPError {
            switch error.code {
            case .noSuchObject:
                // The base (or the client's subtree) does not exist: no resources, not a missing resource.
                store.logger.warning("a list's search base does not exist", metadata: ["resourceType": "\(name)", "base": "\(base)"])
                return ResourcePage(resources: [], totalResults: 0, startIndex: request.startIndex)
            case .sizeLimitExceeded:
                store.logSizeLimit(name, counted: nil, paged: false)
            case .unavailableCriticalExtension:
                // The directory stopped offering a control read at start-up (overlay removed): read them again.
                store.directoryCapabilities.forget()
                store.logger.warning(
                    "the directory refused a listing control it advertised; its capabilities are read again",
                    metadata: ["ldap.error": "\(error.logDescription)"])
            default:
                store.logger.debug("LDAP operation failed", metadata: ["ldap.error": "\(error.logDescription)"])
            }
            throw ListingErrors.translate(error, name)
        }
    }

    /// The page through server-side sort + VLV. Result 4 here means the directory's size limit is below the
    /// window (slapd's VLV count is exact, but the window's entries stop at the limit): never a short page or total.
    private func sortedWindow(
        _ request: SearchRequest, type: ResolvedResourceType, mapped: ResourceMapping, base: String,
        scope: LDAPScope, filter: LDAPFilter, attributes: [String], count: Int
    ) async throws
        -> (entries: [LDAPEntry], total: Int)
    {
        let sortKey = try await sortKey(for: request, type: type, mapped: mapped)
        let controls: [LDAPRequestControl] = [
            .serverSideSort([sortKey]),
            .virtualListView(before: 0, after: max(count - 1, 0), offset: request.startIndex, contentCount: 0),
        ]
        return try await store.pool.read { connection in
            // slapd keeps a VLV context per connection until it closes; a second sorted search there would
            // answer 51: this connection is closed after use instead of returning to the pool.
            connection.retire()
            do {
                let found = try await connection.search(
                    base: base, scope: scope, filter: .and([filter] + mapped.selection),
                    attributes: attributes, controls: controls)
                if found.sizeLimitExceeded {
                    throw LDAPError(code: .sizeLimitExceeded, diagnosticMessage: "size limit below the VLV window")
                }
                if let total = found.controls.vlvContentCount { return (found.entries, total) }
                // Without the VLV response the total is known only when the whole result fit in the window.
                guard request.startIndex == 1, found.entries.count < max(count, 1) else {
                    throw LDAPError(code: .other, diagnosticMessage: "no VLV response control")
                }
                return (found.entries, found.entries.count)
            } catch let error as LDAPError where error.code == .vlvError {
                // startIndex past the end: an empty page, with the exact total from the VLV response.
                return ([], error.controls.vlvContentCount ?? 0)
            }
        }
    }

    /// The page through a paged walk in the directory's order: the walk counts every match (exact total) and
    /// keeps the window's ids; the window's entries are then read by entryUUID.
    private func pagedWindow(
        _ request: SearchRequest, mapped: ResourceMapping, base: String, scope: LDAPScope,
        filter: LDAPFilter, attributes: [String], count: Int
    ) async throws
        -> (entries: [LDAPEntry], total: Int)
    {
        // startIndex saturates at Int.max: keep the window's end representable.
        let first = min(max(request.startIndex, 1) - 1, Int.max - count)
        let walked = try await PagedWalk(pool: store.pool).walk(
            base: base, scope: scope, filter: .and([filter] + mapped.selection),
            window: first..<(first + count))
        guard !walked.ids.isEmpty else { return ([], walked.counted) }
        var byID: [String: LDAPEntry] = [:]
        for batch in walked.ids.chunked(ReferenceResolver.batchSize) {
            let found = try await store.pool.search(
                base: base, scope: scope,
                filter: .and([.or(batch.map { .equal("entryUUID", $0) })] + mapped.selection),
                attributes: attributes.contains("1.1") ? ["entryUUID"] : attributes)
            if found.sizeLimitExceeded { throw LDAPError(code: .sizeLimitExceeded, diagnosticMessage: "window read") }
            for entry in found.entries { if let id = entry.string("entryUUID") { byID[id.lowercased()] = entry } }
        }
        // In the walk's order; an entry deleted since the walk is simply absent from the page.
        return (walked.ids.compactMap { byID[$0.lowercased()] }, walked.counted)
    }

    /// Every entry matching `filter` and the selection, when they fit in `count` (nil when they may not). With
    /// an object-class-only selection the filter goes to the directory alone and the classes are checked on the
    /// entries found (slapd would otherwise read the class's whole index list for every lookup); the answer is
    /// kept only when it is complete (below the size limit) and every entry is of the selection, else the full
    /// filter is asked.
    func lookup(
        _ filter: LDAPFilter, base: String, scope: LDAPScope, mapped: ResourceMapping, attributes: [String],
        count: Int
    ) async throws -> [LDAPEntry]? {
        if let classes = mapped.selectionClasses {
            let wanted = ReadAttributeLists.withObjectClass(attributes)
            let found = try await store.pool.search(base: base, scope: scope, filter: filter, attributes: wanted, sizeLimit: count + 1)
            if !found.sizeLimitExceeded, found.entries.count <= count, found.entries.allSatisfy({ $0.listsObjectClasses(classes) }) {
                return found.entries
            }
        }
        let found = try await store.pool.search(
            base: base, scope: scope, filter: .and([filter] + mapped.selection),
            attributes: attributes, sizeLimit: count + 1)
        return !found.sizeLimitExceeded && found.entries.count <= count ? found.entries : nil
    }

    /// The SCIM filter as one LDAP filter (nil: every resource of the type).
    func ldapFilter(for filter: SCIMFilter?, type: ResolvedResourceType, mapped: ResourceMapping) async throws
        -> LDAPFilter
    {
        guard let filter else { return .alwaysTrue }
        let rules = try await store.directoryRules()
        var translation = SCIMFilterTranslation(mapping: mapped, type: type, rules: rules)
        translation.passwordPoliciesForFilter = try await store.passwordPoliciesForFilter(filter, mapped: mapped)
        let ids = translation.referencedIDs(in: filter)
        if !ids.isEmpty {
            do {
                let targets = try await store.references.targets(forIDs: ids)
                translation.referenceDNs = targets.mapValues(\.dn)
                translation.memberValues = ReferenceLookup.memberValues(mapped, targets: targets)
            } catch let error as LDAPError {
                throw store.translate(error, "resource")
            }
        }
        return try translation.translate(filter)
    }

    /// sortBy → an LDAP sort key with an ordering rule slapd can use; no sortBy sorts by entryUUID (stable).
    func sortKey(for request: SearchRequest, type: ResolvedResourceType, mapped: ResourceMapping) async throws
        -> LDAPSortKey
    {
        let reverse = request.sortOrder == .descending
        guard let path = request.sortBy else { return LDAPSortKey("entryUUID", reverse: reverse) }
        let name = [path.schemaURN, path.subAttribute == nil ? path.attribute : "\(path.attribute).\(path.subAttribute!)"]
            .compactMap { $0 }.joined(separator: ":")
        if name.caseInsensitiveEquals("id") { return LDAPSortKey("entryUUID", reverse: reverse) }
        if name.caseInsensitiveEquals("meta.created") { return LDAPSortKey("createTimestamp", reverse: reverse) }
        if name.caseInsensitiveEquals("meta.lastModified") { return LDAPSortKey("modifyTimestamp", reverse: reverse) }
        if let key = try store.passwordStateSortKey(path, mapped: mapped, reverse: reverse) { return key }
        let candidates = mapped.attributes.filter { attribute in
            attribute.scim.caseInsensitiveEquals(name)
                || ((attribute.kind.name == .tagged || attribute.kind.name == .typed) && attribute.scim.caseInsensitiveEquals(path.attribute)
                    && (path.subAttribute == nil || path.subAttribute!.caseInsensitiveEquals("value")))
        }
        guard let attribute = candidates.first, [.string, .tagged, .typed, .boolean].contains(attribute.kind.name) else {
            throw SCIMError.invalidValue("sortBy \(name) is not a sortable attribute.")
        }
        let rules = try await store.directoryRules()
        guard let available = rules.rules(for: attribute.ldap) else {
            throw SCIMError.invalidValue("sortBy \(name): the directory does not know \(attribute.ldap).")
        }
        // An attribute without an ORDERING rule sorts with the ordering rule matching its equality rule.
        if available.ordering != nil { return LDAPSortKey(attribute.ldap, reverse: reverse) }
        switch available.equality?.lowercased() {
        case "caseignorematch", "caseignoreia5match":
            return LDAPSortKey(attribute.ldap, orderingRule: "caseIgnoreOrderingMatch", reverse: reverse)
        case "caseexactmatch", "caseexactia5match":
            return LDAPSortKey(attribute.ldap, orderingRule: "caseExactOrderingMatch", reverse: reverse)
        default:
            throw SCIMError.invalidValue("sortBy \(name): the directory cannot order \(attribute.ldap).")
        }
    }
}
