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
        if !ImmutableCheck.attributes(of: type).isEmpty {
            let currentResource = try await store.reader.decode(current, type: type, mapped: mapped, known: []).resource
            try ImmutableCheck.verify(current: currentResource, replacement: resource, type: type)
        }
        return try await EntryUpdate(store: store).write(
            resource, over: current, type: type, mapped: mapped,
            condition: condition, source: .replacement)
    }
}
