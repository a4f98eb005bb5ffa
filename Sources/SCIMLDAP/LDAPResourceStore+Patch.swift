import Foundation
import LDAPClient
import SCIMCore

/// PATCH: apply the operations to the current representation, then write through the same minimal-modification
/// path as PUT. Membership-only changes go straight to per-value `add`/`delete` of member DNs without reading
/// the group's members, so a 10,000-member group gains a member in one small modify.
extension LDAPResourceStore {
    public func patch(id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection,
                      ifMatch: String?, validator: ResourceValidator, context: StoreContext) async throws -> StoredResource
    {
        try await scoped(context) { store in
            try await store.retryingConcurrentChanges {
                try await store.patchScoped(id: id, request: request, type: type, projection: projection, ifMatch: ifMatch,
                                            validator: validator)
            }
        }
    }

    private func patchScoped(id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection,
                             ifMatch: String?, validator: ResourceValidator) async throws -> StoredResource
    {
        let mapped = try resourceMapping(type)
        let applier = PatchApplier(type: type, strictNoTarget: request.strictNoTarget)
        // Clearing every member reads them: only the members SCIM can see go (see `VisibleValues`).
        // Members stored by value (posixGroup's memberUid) are changed through the stored values themselves
        // (`JDoe` for the user `jdoe`): read them.
        let withMembers = applier.needsCurrentMembers(request) || Self.clearsMembers(request)
            || (mapped.membership?.value != nil && request.operations.contains { $0.path?.attribute.caseInsensitiveEquals("members") ?? true })
        let readProjection = withMembers ? Projection.all : Projection(excludedAttributes: ["members"])
        let current = try await find(id: id, mapped: mapped,
                                     attributes: await readAttributes(mapped, projection: readProjection) + ["objectClass"])
        let currentResource = try await decode(current, type: type, mapped: mapped, known: []).resource
        let result = try applier.apply(request, to: currentResource)
        if result.changesOtherAttributes || !result.memberChanges.isEmpty {
            // A stale version fails before the change is validated; checked again atomically by the write.
            try IfMatchCondition(ifMatch).verify(current)
        }
        if !withMembers, !result.changesOtherAttributes {
            return try await changeMembers(result.memberChanges, of: current, type: type, mapped: mapped, ifMatch: ifMatch,
                                           projection: projection)
        }
        let validated = try storable(try validator.validate(result.resource), type: type)
        return try await write(validated, over: current, type: type, mapped: mapped, ifMatch: ifMatch, membersRead: withMembers,
                               removed: Set(request.operations.filter { $0.op == .remove }.compactMap { $0.path?.attribute.lowercased() }))
    }

    /// A `remove` of `members` without a value filter or value list: every member SCIM shows goes.
    static func clearsMembers(_ request: PatchRequest) -> Bool {
        request.operations.contains { operation in
            guard operation.op == .remove, let path = operation.path else { return false }
            return path.attribute.caseInsensitiveEquals("members") && path.valueFilter == nil && operation.value == nil
        }
    }

    /// Per-value membership changes; the placeholder member keeps groupOfNames valid when the last member goes.
    private func changeMembers(_ changes: PatchApplier.MemberChanges, of group: LDAPEntry, type: ResolvedResourceType,
                               mapped: ResourceMapping, ifMatch: String?, projection: Projection) async throws -> StoredResource
    {
        guard let membership = mapped.membership,
              let attribute = mapped.attributes.first(where: { $0.kind.name == .members })?.ldap
        else { throw SCIMError.invalidPath("\(type.resourceType.name) has no members.") }
        let targets = try await resolver.targets(forIDs: changes.added + changes.removed)
        let byValue = memberValues(mapped, targets: targets)
        func stored(_ id: String) -> String? { byValue.map { $0[id] } ?? targets[id]?.dn }
        for id in changes.added where stored(id) == nil {
            throw SCIMError.invalidValue("member \(id) does not exist")
        }
        var modifications: [LDAPModification] = []
        if changes.replacedAll {
            // Not reached: replacing or clearing the whole list reads the members first (`needsCurrentMembers`,
            // `clearsMembers`) and goes through the full write, which keeps the members SCIM cannot see. A blind
            // replace here would delete them, so it is refused rather than attempted.
            throw SCIMError.internal()
        }
        let removed = changes.removed.compactMap(stored)
        let added = changes.added.compactMap(stored)
        if !removed.isEmpty { modifications.append(.delete(attribute, removed)) }
        if !added.isEmpty { modifications.append(.add(attribute, added)) }
        let assertion = try IfMatchCondition(ifMatch).controls(current: group)
        let readBack: [LDAPRequestControl] = [.postRead(await readAttributes(mapped, projection: projection))]
        do {
            groupCache.clear()
            defer { groupCache.clear() }
            let written: LDAPWriteResult? = try await pool.withConnection { connection in
                guard !modifications.isEmpty else { return nil }
                var mods = modifications
                if let placeholder = membership.placeholder, !changes.added.isEmpty,
                   try await connection.compare(dn: group.dn, attribute: attribute, value: Array(placeholder.utf8))
                {
                    mods.append(.delete(attribute, [placeholder]))
                }
                do {
                    return try await connection.modify(dn: group.dn, mods, controls: assertion + readBack)
                } catch let error as LDAPError where error.code == .objectClassViolation && membership.placeholder != nil {
                    // The last member went: keep the group valid with the placeholder.
                    return try await connection.modify(dn: group.dn, mods + [.add(attribute, [membership.placeholder!])],
                                                       controls: assertion + readBack)
                } catch let error as LDAPError where error.code == .noSuchAttribute || error.code == .attributeOrValueExists {
                    // Removing a non-member or adding a member twice: apply value by value, skipping no-ops.
                    var last: LDAPWriteResult?
                    for mod in mods {
                        for value in mod.values {
                            do {
                                last = try await connection.modify(dn: group.dn, [LDAPModification(mod.operation, mod.attribute, [value])],
                                                                   controls: assertion + readBack)
                            } catch let inner as LDAPError where inner.code == .noSuchAttribute || inner.code == .attributeOrValueExists {
                                continue
                            } catch let inner as LDAPError where inner.code == .objectClassViolation && membership.placeholder != nil {
                                last = try await connection.modify(dn: group.dn, [LDAPModification(mod.operation, mod.attribute, [value]),
                                                                                  .add(attribute, [membership.placeholder!])],
                                                                   controls: assertion + readBack)
                            }
                        }
                    }
                    return last
                }
            }
            if let entry = written?.controls.postRead {
                return try await decode(entry, type: type, mapped: mapped, known: [])
            }
            let fresh = try await find(id: group.string("entryUUID") ?? "", mapped: mapped,
                                       attributes: await readAttributes(mapped, projection: projection))
            return try await decode(fresh, type: type, mapped: mapped, known: [])
        } catch let error as LDAPError {
            throw translate(error, type.resourceType.name)
        }
    }
}
