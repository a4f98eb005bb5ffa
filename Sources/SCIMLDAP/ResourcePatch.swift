import LDAPClient
import SCIMCore

/// PATCH (RFC 7644 §3.5.2): the operations applied to the current representation, then written through the same
/// minimal-modification path as PUT (`EntryUpdate`). Membership-only changes go straight to per-value changes of
/// the member attribute (`MembershipChange`) without reading the group's members, so a 10,000-member group gains a
/// member in one small modify.
struct ResourcePatch {
    let store: LDAPResourceStore

    func patch(
        id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection,
        condition: IfMatchCondition, validator: ResourceValidator
    ) async throws -> StoredResource {
        let mapped = try store.resourceMapping(type)
        let applier = PatchApplier(type: type, strictNoTarget: request.strictNoTarget)
        let withMembers = Self.readsMembers(request, applier: applier, mapped: mapped)
        let readProjection = withMembers ? Projection.all : Projection(excludedAttributes: ["members"])
        let current = try await store.reader.find(
            id: id, mapped: mapped,
            attributes: await store.readAttributes(mapped, projection: readProjection) + ["objectClass"])
        let decoded = try await store.reader.decodeForWrite(current, type: type, mapped: mapped)
        let result = try applier.apply(request, to: decoded.resource)
        if result.changesOtherAttributes || !result.memberChanges.isEmpty {
            // A stale version fails before the change is validated (412, not a 400 about a change that cannot
            // happen); the write holds to it again.
            try condition.verify(current)
        }
        if !withMembers, !result.changesOtherAttributes {
            return try await MembershipChange(store: store).apply(
                result.memberChanges, to: current, type: type, mapped: mapped,
                condition: condition, projection: projection)
        }
        let validated = try store.storable(try validator.validate(result.resource), type: type)
        return try await EntryUpdate(store: store).write(
            validated, over: current, decoded: decoded, type: type, mapped: mapped, condition: condition,
            source: .patch(membersRead: withMembers, removed: Self.removed(request)))
    }

    /// True when the PATCH must read the group's members: it needs them to apply (a value filter, a replace), it
    /// clears them (only the members SCIM can see go, see `VisibleValues`), or members are stored by value
    /// (posixGroup's memberUid: `JDoe` for the user `jdoe` is changed through the stored value itself).
    static func readsMembers(_ request: PatchRequest, applier: PatchApplier, mapped: ResourceMapping) -> Bool {
        applier.needsCurrentMembers(request) || clearsMembers(request)
            || (mapped.membership?.value != nil
                && request.operations.contains { $0.path?.attribute.caseInsensitiveEquals("members") ?? true })
    }

    /// A `remove` of `members` without a value filter or value list: every member SCIM shows goes.
    static func clearsMembers(_ request: PatchRequest) -> Bool {
        request.operations.contains { operation in
            guard operation.op == .remove, let path = operation.path else { return false }
            return path.attribute.caseInsensitiveEquals("members") && path.valueFilter == nil && operation.value == nil
        }
    }

    /// The lower-cased top-level attributes the PATCH removes.
    static func removed(_ request: PatchRequest) -> Set<String> {
        Set(request.operations.filter { $0.op == .remove }.compactMap { $0.path?.attribute.lowercased() })
    }
}
