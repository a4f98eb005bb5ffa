import LDAPClient
import Logging
import SCIMCore

/// Listing: one LDAP search with Server-Side Sort + Virtual List View, so the directory sorts, counts and cuts
/// the page (random access by startIndex, exact totalResults) and the gateway holds only the page.
extension LDAPResourceStore {
    /// Page size when the client sends no `count`, and the largest page served.
    public static let defaultPageSize = 100
    public static let maxPageSize = 1000

    public func search(_ request: SearchRequest, type: ResolvedResourceType) async throws -> ResourcePage {
        try await scoped { try await searchScoped(request, type: type) }
    }

    private func searchScoped(_ request: SearchRequest, type: ResolvedResourceType) async throws -> ResourcePage {
        let mapped = try resourceMapping(type)
        let count = min(request.count ?? Self.defaultPageSize, Self.maxPageSize)
        let filter = try await ldapFilter(for: request.filter, type: type, mapped: mapped)
        let attributes = count == 0 ? ["1.1"] : await readAttributes(mapped, projection: request.projection)
        guard let (base, scope) = searchBase(mapped) else {
            return ResourcePage(resources: [], totalResults: 0, startIndex: request.startIndex)
        }
        // Lookups (userName eq, externalId eq) match a handful of entries: an unsorted first page that fits in
        // one plain search needs neither sort nor VLV, and its total is exact because the size limit was not hit.
        if request.sortBy == nil, request.startIndex == 1, count > 0, request.filter != nil {
            let found: [LDAPEntry]?
            do {
                found = try await lookup(filter, base: base, scope: scope, mapped: mapped, attributes: attributes, count: count)
            } catch let error as LDAPError {
                throw translate(error, type.resourceType.name)
            }
            if let found {
                let resources = try await decode(found, type: type, mapped: mapped, known: [])
                return ResourcePage(resources: resources, totalResults: resources.count, startIndex: 1)
            }
        }
        let sortKey = try await sortKey(for: request, type: type, mapped: mapped)
        let controls: [LDAPRequestControl] = [
            .serverSideSort([sortKey]),
            .virtualListView(before: 0, after: max(count - 1, 0), offset: request.startIndex, contentCount: 0),
        ]
        let result: (entries: [LDAPEntry], total: Int)
        do {
            result = try await pool.read { connection in
                // slapd keeps a VLV context per connection until it closes; a second sorted search there would
                // answer 51: this connection is closed after use instead of returning to the pool.
                connection.retire()
                do {
                    let found = try await connection.search(base: base, scope: scope,
                                                            filter: .and([filter] + mapped.selection),
                                                            attributes: attributes, controls: controls)
                    return (found.entries, found.controls.vlvContentCount ?? found.entries.count)
                } catch let error as LDAPError where error.code == .vlvError {
                    // startIndex past the end: an empty page, with the exact total from the VLV response.
                    return ([], error.controls.vlvContentCount ?? 0)
                }
            }
        } catch let error as LDAPError {
            throw translate(error, type.resourceType.name)
        }
        let entries = count == 0 ? [] : Array(result.entries.prefix(count))
        let resources = try await decode(entries, type: type, mapped: mapped, known: [])
        return ResourcePage(resources: resources, totalResults: result.total, startIndex: request.startIndex)
    }

    /// Every entry matching `filter` and the selection, when they fit in `count` (nil when they may not). With
    /// an object-class-only selection the filter goes to the directory alone and the classes are checked on the
    /// entries found (slapd would otherwise read the class's whole index list for every lookup); the answer is
    /// kept only when it is complete (below the size limit) and every entry is of the selection, else the full
    /// filter is asked.
    func lookup(_ filter: LDAPFilter, base: String, scope: LDAPScope, mapped: ResourceMapping, attributes: [String],
                count: Int) async throws -> [LDAPEntry]? {
        if let classes = mapped.selectionClasses {
            let wanted = ReadAttributeLists.withObjectClass(attributes)
            let found = try await pool.search(base: base, scope: scope, filter: filter, attributes: wanted, sizeLimit: count + 1)
            if !found.sizeLimitExceeded, found.entries.count <= count, found.entries.allSatisfy({ $0.listsObjectClasses(classes) }) {
                return found.entries
            }
        }
        let found = try await pool.search(base: base, scope: scope, filter: .and([filter] + mapped.selection),
                                          attributes: attributes, sizeLimit: count + 1)
        return !found.sizeLimitExceeded && found.entries.count <= count ? found.entries : nil
    }

    /// The SCIM filter as one LDAP filter (nil: every resource of the type).
    func ldapFilter(for filter: SCIMFilter?, type: ResolvedResourceType, mapped: ResourceMapping) async throws
        -> LDAPFilter
    {
        guard let filter else { return .alwaysTrue }
        let rules = try await directoryRules()
        var translation = SCIMFilterTranslation(mapping: mapped, type: type, rules: rules)
        translation.passwordPoliciesForFilter = try await passwordPoliciesForFilter(filter, mapped: mapped)
        let ids = translation.referencedIDs(in: filter)
        if !ids.isEmpty {
            do {
                let targets = try await resolver.targets(forIDs: ids)
                translation.referenceDNs = targets.mapValues(\.dn)
                translation.memberValues = memberValues(mapped, targets: targets)
            } catch let error as LDAPError {
                throw translate(error, "resource")
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
        let candidates = mapped.attributes.filter { attribute in
            attribute.scim.caseInsensitiveEquals(name)
                || ((attribute.kind == .tagged || attribute.kind == .typed) && attribute.scim.caseInsensitiveEquals(path.attribute)
                    && (path.subAttribute == nil || path.subAttribute!.caseInsensitiveEquals("value")))
        }
        guard let attribute = candidates.first, [.string, .tagged, .typed, .boolean].contains(attribute.kind) else {
            throw SCIMError.invalidValue("sortBy \(name) is not a sortable attribute.")
        }
        let rules = try await directoryRules()
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

extension LDAPResourceStore {
    /// The directory's matching rules (read from its subschema once).
    func directoryRules() async throws -> DirectorySchemaRules {
        do {
            return try await schemaRules.rules(from: pool)
        } catch let error as LDAPError {
            throw translate(error, "schema")
        }
    }
}
