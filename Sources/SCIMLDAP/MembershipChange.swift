import LDAPClient
import SCIMCore

/// A PATCH that only adds or removes group members, written as per-value `add`/`delete` of the member attribute
/// without reading the group's members. The placeholder member keeps groupOfNames valid when the last member
/// goes; removing a non-member or adding a member twice is a no-op, not an error.
struct MembershipChange {
    let store: LDAPResourceStore

    func apply(
        _ changes: PatchApplier.MemberChanges, to group: LDAPEntry, type: ResolvedResourceType,
        mapped: ResourceMapping, condition: IfMatchCondition, projection: Projection
    ) async throws -> StoredResource {
        guard let membership = mapped.membership,
            let attribute = mapped.attributes.first(where: { $0.kind.name == .members })?.ldap
        else { throw SCIMError.invalidPath("\(type.resourceType.name) has no members.") }
        if changes.replacedAll {
            // Not reached: replacing or clearing the whole list reads the members first (`needsCurrentMembers`,
            // `clearsMembers`) and goes through the full write, which keeps the members SCIM cannot see. A blind
            // replace here would delete them, so it is refused rather than attempted.
            throw SCIMError.internal()
        }
        let targets = try await store.references.targets(forIDs: changes.added + changes.removed)
        let modifications = try Self.modifications(changes, attribute: attribute, mapped: mapped, targets: targets)
        let write = Write(
            dn: group.dn, attribute: attribute, placeholder: membership.placeholder,
            controls: try condition.controls(current: group)
                + [.postRead(await store.readAttributes(mapped, projection: projection))])
        do {
            store.groupCache.clear()
            defer { store.groupCache.clear() }
            let written: LDAPWriteResult? = try await store.pool.withConnection { connection in
                guard !modifications.isEmpty else { return nil }
                return try await write.run(modifications, adds: !changes.added.isEmpty, on: connection)
            }
            if let entry = written?.controls.postRead {
                return try await store.reader.decode(entry, type: type, mapped: mapped, known: [])
            }
            let fresh = try await store.reader.find(
                id: group.string("entryUUID") ?? "", mapped: mapped,
                attributes: await store.readAttributes(mapped, projection: projection))
            return try await store.reader.decode(fresh, type: type, mapped: mapped, known: [])
        } catch let error as LDAPError {
            throw store.translate(error, type.resourceType.name)
        }
    }

    /// The delete of the removed members and the add of the added ones, by DN or by stored value; an added id
    /// that is no resource is 400.
    static func modifications(
        _ changes: PatchApplier.MemberChanges, attribute: String, mapped: ResourceMapping,
        targets: [String: ReferenceResolver.Target]
    ) throws(SCIMError) -> [LDAPModification] {
        let byValue = ReferenceLookup.memberValues(mapped, targets: targets)
        func stored(_ id: String) -> String? { byValue.map { $0[id] } ?? targets[id]?.dn }
        for id in changes.added where stored(id) == nil {
            throw SCIMError.invalidValue("member \(id) does not exist")
        }
        var modifications: [LDAPModification] = []
        let removed = changes.removed.compactMap(stored)
        let added = changes.added.compactMap(stored)
        if !removed.isEmpty { modifications.append(.delete(attribute, removed)) }
        if !added.isEmpty { modifications.append(.add(attribute, added)) }
        return modifications
    }

    /// The modify of one group's member attribute with its fallbacks.
    struct Write {
        let dn: String
        let attribute: String
        let placeholder: String?
        /// If-Match and Post-Read.
        let controls: [LDAPRequestControl]

        func run(_ modifications: [LDAPModification], adds: Bool, on connection: LDAPConnection) async throws -> LDAPWriteResult? {
            var mods = modifications
            if let placeholder, adds, try await connection.compare(dn: dn, attribute: attribute, value: Array(placeholder.utf8)) {
                mods.append(.delete(attribute, [placeholder]))
            }
            do {
                return try await modify(mods, on: connection)
            } catch let error as LDAPError where error.code == .objectClassViolation && placeholder != nil {
                // The last member went: keep the group valid with the placeholder.
                return try await modify(mods + [.add(attribute, [placeholder!])], on: connection)
            } catch let error as LDAPError where error.code == .noSuchAttribute || error.code == .attributeOrValueExists {
                return try await valueByValue(mods, on: connection)
            }
        }

        /// Removing a non-member or adding a member twice: applied value by value, skipping no-ops.
        private func valueByValue(_ mods: [LDAPModification], on connection: LDAPConnection) async throws -> LDAPWriteResult? {
            var last: LDAPWriteResult?
            for mod in mods {
                for value in mod.values {
                    let single = LDAPModification(mod.operation, mod.attribute, [value])
                    do {
                        last = try await modify([single], on: connection)
                    } catch let inner as LDAPError where inner.code == .noSuchAttribute || inner.code == .attributeOrValueExists {
                        continue
                    } catch let inner as LDAPError where inner.code == .objectClassViolation && placeholder != nil {
                        last = try await modify([single, .add(attribute, [placeholder!])], on: connection)
                    }
                }
            }
            return last
        }

        /// The modify with the write's controls (untyped throws: the callers catch by code).
        private func modify(_ mods: [LDAPModification], on connection: LDAPConnection) async throws -> LDAPWriteResult {
            try await connection.modify(dn: dn, mods, controls: controls)
        }
    }
}
