import LDAPClient
import SCIMCore

/// PUT (RFC 7644 §3.5.1): the client's complete representation, trimmed to what the mapping stores and checked
/// against the immutable attributes, written over the entry as read (`EntryUpdate`).
struct ResourceReplacement {
    let store: LDAPResourceStore

    func replace(id: String, with resource: JSONValue, type: ResolvedResourceType, condition: IfMatchCondition)
        async throws -> StoredResource
    {
        let mapped = try store.resourceMapping(type)
        let resource = try store.storable(resource, type: type)
        let current = try await store.reader.find(
            id: id, mapped: mapped,
            attributes: await store.readAttributes(mapped, projection: .all) + ["objectClass"])
        // When the immutable attributes need the entry decoded, the write's view of the entry reuses it.
        var decoded: DecodedEntry?
        if !ImmutableCheck.attributes(of: type).isEmpty {
            let current = try await store.reader.decodeForWrite(current, type: type, mapped: mapped)
            try ImmutableCheck.verify(current: current.resource, replacement: resource, type: type)
            decoded = current
        }
        return try await EntryUpdate(store: store).write(
            resource, over: current, decoded: decoded, type: type, mapped: mapped,
            condition: condition, source: .replacement)
    }
}
