import Foundation
import LDAPClient
import Logging
import SCIMCore

/// PUT (RFC 7644 §3.5.1) and the write path PATCH shares: read the entry, build the attributes the new
/// representation maps to, apply the minimal modifications — renaming first when the RDN value changes, and
/// undoing that rename if the modify fails, so no write is ever half-applied.
extension LDAPResourceStore {
    public func replace(id: String, with resource: JSONValue, type: ResolvedResourceType, ifMatch: String?,
                        context: StoreContext) async throws -> StoredResource
    {
        try await scoped(context) { store in
            try await store.retryingConcurrentChanges {
                try await store.replaceScoped(id: id, with: resource, type: type, ifMatch: ifMatch)
            }
        }
    }

    private func replaceScoped(id: String, with resource: JSONValue, type: ResolvedResourceType, ifMatch: String?)
        async throws -> StoredResource
    {
        let mapped = try resourceMapping(type)
        let resource = try storable(resource, type: type)
        let current = try await find(id: id, mapped: mapped, attributes: await readAttributes(mapped, projection: .all) + ["objectClass"])
        if !ImmutableCheck.attributes(of: type).isEmpty {
            let currentResource = try await decode(current, type: type, mapped: mapped, known: []).resource
            try ImmutableCheck.verify(current: currentResource, replacement: resource, type: type)
        }
        return try await write(resource, over: current, type: type, mapped: mapped, ifMatch: ifMatch, membersRead: true)
    }

    /// Writes `resource` (a complete representation) over `current` as `WritePlan` plans it (`membersRead` and
    /// `removed` as there), with the client's If-Match (`IfMatchCondition`).
    func write(_ resource: JSONValue, over current: LDAPEntry, type: ResolvedResourceType, mapped: ResourceMapping,
               ifMatch: String?, membersRead: Bool, removed: Set<String> = []) async throws -> StoredResource
    {
        let targets = try await resolver.targets(forIDs: referencedIDs(in: resource, mapped))
        let encoded = try encoder(mapped, targets: targets).encodeNew(resource)
        let view = try await currentView(current, type: type, mapped: mapped)
        let plan = try WritePlan(resource, encoded: encoded, over: current, view: view, mapped: mapped, membersRead: membersRead,
                                 removed: removed)
        var modifications = plan.modifications
        let rdnChange = plan.rdnChange
        // Object classes the mapping writes but an older entry lacks (e.g. the auxiliary class), when the
        // write needs them: an entry another tool created does not gain posixAccount for a new title.
        let classes = current.strings("objectClass")
        let missingClasses = mapped.objectClasses.filter { name in !classes.contains { $0.caseInsensitiveEquals(name) } }
        if !missingClasses.isEmpty, !classes.isEmpty {
            let needed = await classesNeeded(by: modifications, classes: classes, candidates: missingClasses)
            if !needed.isEmpty { modifications.insert(.add("objectClass", needed), at: 0) }
        }

        let readList = await readAttributes(mapped, projection: .all)
        let readBack: [LDAPRequestControl] = [.postRead(readList), .passwordPolicy]
        let renames = rdnChange != nil
        // If-Match rides on the write as an Assertion control, so check and write are one step. slapd's unique
        // overlay runs its duplicate search with the operation's controls, where the assertion fails (122): when
        // the write touches a unique attribute, the version is compared right before the write instead.
        let uniqueTypes = WritePlan.uniqueLDAPTypes(mapped, type: type)
        let touchesUnique = renames || modifications.contains { uniqueTypes.contains(ModificationPlanner.type(of: $0.attribute)) }
        let condition = IfMatchCondition(ifMatch)
        var assertion = try condition.controls(current: current, inOperation: !touchesUnique)
        // A replace that carries values SCIM cannot see (the other `cn`s) would drop one another tool adds
        // between the read and this write: the write asserts the version it planned from, and starts over when
        // the entry changed meanwhile.
        let guarded = ifMatch == nil && plan.carriesHidden && !touchesUnique && current.string("entryCSN") != nil
        if guarded { assertion = [IfMatchCondition.assertion(Self.version(of: current))] }
        let passwordType = mapped.attributes.first { $0.kind.name == .password }?.ldap.lowercased()
        let passwordValue = mapped.attributes.first { $0.kind.name == .password }.flatMap { resource.value(at: $0.path)?.stringValue }
        // Never clear text: hashed here, or held back for Password Modify after the other changes (`exop`).
        var pending: PendingPassword?
        if let passwordType, modifications.contains(where: { ModificationPlanner.type(of: $0.attribute) == passwordType }) {
            let method = try await passwordMethodForWrite(type.resourceType.name, mapped)
            (modifications, pending) = Self.applying(method, passwordType: passwordType, to: modifications)
            if pending != nil, modifications.isEmpty, !renames {
                // Password Modify carries no Assertion control: the version is compared right before it.
                try condition.verify(current)
            }
        }
        let relock = pending == nil ? [] : Self.relock(mapped, resource: resource, current: current, removed: removed)
        var keepsPassword = false
        groupCache.clear()
        defer { groupCache.clear() }
        while true {
        do {
            // The pooled connection is held for the write alone: decoding the result may search (groups,
            // references), and a search waiting for a second connection while every connection is held by such
            // a write would wait forever.
            return try await actingAsOwner(of: current) {
                let stored = try await pool.withConnection { connection in
                let dn = current.dn
                var modifications = modifications
                if keepsPassword {
                    modifications.removeAll { ModificationPlanner.type(of: $0.attribute) == passwordType }
                }
                let pending = keepsPassword ? nil : pending
                if let rdnChange {
                    _ = try await connection.rename(dn: dn, newRDN: rdnChange.newRDN, deleteOldRDN: true)
                    let renamed = rdnChange.newDN
                    do {
                        let written = modifications.isEmpty
                            ? nil : try await connection.modify(dn: renamed, modifications, controls: readBack)
                        if let pending {
                            try await self.setPassword(pending, dn: renamed, on: connection, relock: relock, undo: {
                                try await Self.undo(modifications, current: rdnChange.renamed, dn: renamed, on: connection)
                            })
                            return try await self.storedEntry(nil, fallback: renamed, connection: connection, attributes: readList)
                        }
                        return try await self.storedEntry(written, fallback: renamed, connection: connection, attributes: readList)
                    } catch {
                        // Undo the rename so the write is all or nothing.
                        do {
                            _ = try await connection.rename(dn: renamed, newRDN: rdnChange.oldRDN, deleteOldRDN: !rdnChange.newValueExisted)
                        } catch let undo as LDAPError {
                            self.logUndoFailure(undo, dn: renamed)
                        }
                        throw error
                    }
                }
                if modifications.isEmpty {
                    if let pending {
                        try await self.setPassword(pending, dn: dn, on: connection, relock: relock, undo: {})
                    }
                    return try await self.storedEntry(nil, fallback: dn, connection: connection, attributes: readList)
                }
                var written: LDAPWriteResult?
                do {
                    written = try await connection.modify(dn: dn, modifications, controls: assertion + readBack)
                } catch let error as LDAPError where error.code == .attributeOrValueExists
                    && modifications.first.map({ ModificationPlanner.type(of: $0.attribute) == "objectclass" && $0.operation == .add }) == true
                {
                    // A concurrent write added the missing object class first: the rest still applies.
                    let rest = Array(modifications.dropFirst())
                    written = rest.isEmpty ? nil : try await connection.modify(dn: dn, rest, controls: assertion + readBack)
                }
                if let pending {
                    try await self.setPassword(pending, dn: dn, on: connection, relock: relock, undo: {
                        try await Self.undo(modifications, current: current, dn: dn, on: connection)
                    })
                    written = nil  // the version changed again: read the entry as it now is
                }
                return try await self.storedEntry(written, fallback: dn, connection: connection, attributes: readList)
                }
                await self.followMemberValues(from: current, to: stored)
                return try await self.decode(stored, type: type, mapped: mapped, known: [])
            }
        } catch let error as LDAPError where error.controls.passwordPolicy?.failure == .passwordInHistory && !keepsPassword {
            // Clients resend the current password with every PUT; the policy's history check refuses it as a
            // change. When it is the current password (checked by a bind), the write goes ahead without it.
            guard let passwordValue, try await bindSucceeds(dn: current.dn, password: passwordValue) else {
                throw translate(error, type.resourceType.name)
            }
            keepsPassword = true
        } catch let error as LDAPError where guarded && error.code == .assertionFailed {
            throw ConcurrentChange(error: error)
        } catch let error as LDAPError where error.code == .noSuchAttribute || error.code == .attributeOrValueExists {
            // The entry changed between the read and this write (another request): the caller starts over.
            throw ConcurrentChange(error: error)
        } catch let error as LDAPError {
            throw translate(error, type.resourceType.name)
        }
        }
    }

    /// Puts back what `modifications` changed on `dn` (the entry was `current` before them).
    static func undo(_ modifications: [LDAPModification], current: LDAPEntry, dn: String, on connection: LDAPConnection)
        async throws
    {
        let inverse = ModificationUndo.inverse(of: modifications, current: current)
        guard !inverse.isEmpty else { return }
        _ = try await connection.modify(dn: dn, inverse)
    }

    /// Of the mapping's classes an entry lacks, those that allow an attribute `modifications` write and the
    /// entry's own classes do not (all of them when the directory's schema cannot be read).
    func classesNeeded(by modifications: [LDAPModification], classes: [String], candidates: [String]) async -> [String] {
        guard let schema = try? await directoryRules(), !schema.objectClasses.isEmpty else { return candidates }
        let (must, may) = schema.attributes(of: classes)
        let allowed = must.union(may)
        var needed: [String] = []
        for modification in modifications where modification.operation != .delete && !modification.values.isEmpty {
            let type = ModificationPlanner.type(of: modification.attribute)
            let names = schema.names(of: type)
            if type == "objectclass" || schema.rules(for: type)?.operational == true || !names.isDisjoint(with: allowed) { continue }
            if let provider = candidates.first(where: { candidate in
                let (cMust, cMay) = schema.attributes(of: [candidate])
                return !names.isDisjoint(with: cMust.union(cMay))
            }), !needed.contains(provider) {
                needed.append(provider)
            }
        }
        return candidates.filter { needed.contains($0) }
    }

    /// The entry as the gateway shows it, encoded back into LDAP values: what a write may change.
    func currentView(_ current: LDAPEntry, type: ResolvedResourceType, mapped: ResourceMapping) async throws
        -> EntryEncoder.Encoded
    {
        // `groups` is read-only (never written): its references need no lookup here.
        let references = try await resolveReferences(in: [current], mapped: mapped, known: [], kinds: [.reference, .members])
        var decoder = EntryDecoder(mapping: mapped, type: type, baseURL: baseURL)
        decoder.references = references
        let resource = try decoder.decode(current).resource
        // Referenced entries by id, to their DN keys (compared as DNs by `VisibleValues`).
        var dns: [String: String] = [:]
        var values: [String: String] = [:]
        for (key, reference) in references {
            if key.hasPrefix("=") { values[reference.id] = String(key.dropFirst()) } else { dns[reference.id] = key }
        }
        var encoder = EntryEncoder(mapping: mapped, referenceDNs: dns)
        if mapped.membership?.value != nil { encoder.memberValues = values }
        return encoder.encodeView(resource)
    }

    static func version(of entry: LDAPEntry) -> String { EntryDecoder.version(entry) }

    /// The entry as written: from the Post-Read control, or read again on the same connection. Uses nothing but
    /// `connection` (see the write above).
    private func storedEntry(_ written: LDAPWriteResult?, fallback dn: String, connection: LDAPConnection,
                             attributes: [String]) async throws -> LDAPEntry
    {
        if let entry = written?.controls.postRead { return entry }
        let found = try await connection.search(base: dn, scope: .base, attributes: attributes)
        guard let entry = found.entries.first else { throw SCIMError.notFound() }
        return entry
    }
}
