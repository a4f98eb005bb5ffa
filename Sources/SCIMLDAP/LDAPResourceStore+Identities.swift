import LDAPClient
import SCIMCore

/// What outbound provisioning asks of the directory without rendering resources: which entries of a type
/// exist (optionally narrowed by a target's own LDAP filter), with their versions, and whether one entry is
/// among them.
extension LDAPResourceStore {
    public struct Identity: Sendable, Hashable {
        public var id: String
        /// entryCSN: the resource's version (its ETag).
        public var version: String

        public init(id: String, version: String) {
            self.id = id
            self.version = version
        }
    }

    /// The LDAP filter of `typeName`'s entries, with `extra` ANDed.
    func identityFilter(_ mapped: ResourceMapping, extra: LDAPFilter?) -> LDAPFilter {
        let parts = mapped.selection + (extra.map { [$0] } ?? [])
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// Every entry of `typeName` matching `extra`, paged (no size limit applies), as the service account.
    public func identities(of typeName: String, matching extra: LDAPFilter? = nil) async throws -> [Identity] {
        guard let mapped = mapping.resourceTypes[typeName] else { return [] }
        let filter = identityFilter(mapped, extra: extra)
        var out: [Identity] = []
        try await pool.withConnection { connection in
            try await connection.searchAllPages(
                base: mapped.baseDN, scope: mapped.scope == .one ? .oneLevel : .subtree, filter: filter,
                attributes: ["entryUUID", "entryCSN"], pageSize: 1000
            ) { entries in
                for entry in entries {
                    if let id = entry.string("entryUUID") { out.append(Identity(id: id, version: entry.string("entryCSN") ?? "")) }
                }
            }
        }
        return out
    }

    /// The entry of `typeName` with this id when it matches `extra` (nil: absent or not selected).
    public func identity(of typeName: String, id: String, matching extra: LDAPFilter? = nil) async throws -> Identity? {
        guard let mapped = mapping.resourceTypes[typeName] else { return nil }
        let filter = LDAPFilter.and([identityFilter(mapped, extra: extra), .equal("entryUUID", Array(id.utf8))])
        let found = try await pool.search(
            base: mapped.baseDN, scope: mapped.scope == .one ? .oneLevel : .subtree,
            filter: filter, attributes: ["entryUUID", "entryCSN"], sizeLimit: 2)
        guard let entry = found.entries.first, let uuid = entry.string("entryUUID") else { return nil }
        return Identity(id: uuid, version: entry.string("entryCSN") ?? "")
    }

    /// The resources of `type` with these ids that still match `extra`, rendered as `get` renders them with
    /// `projection`: one search per `batch` ids instead of one per resource (see `ResourceReader.render`).
    public func render(
        ids: [String], type: ResolvedResourceType, matching extra: LDAPFilter? = nil, projection: Projection,
        batch: Int = 100
    ) async throws -> [StoredResource] {
        try await reader.render(ids: ids, type: type, matching: extra, projection: projection, batch: batch)
    }

    /// Parses an LDAP filter written in a config file (RFC 4515 text); nil when it is not one.
    public static func parseFilter(_ text: String) -> LDAPFilter? {
        SimpleFilterParser.parse(text)
    }
}
