import Foundation
import LDAPClient
import Logging
import SCIMCore

/// PUT (RFC 7644 §3.5.1) and the write path PATCH shares: read the entry, build the attributes the new
/// representation maps to, apply the minimal modifications — renaming first when the RDN value changes, and
/// undoing that rename if the modify fails, so no write is ever half-applied.
extension LDAPResourceStore {
    public func replace(id: String, with resource: JSONValue, type: ResolvedResourceType, ifMatch: String?)
        async throws -> StoredResource
    {
        try await scoped {
            try await retryingConcurrentChanges { try await replaceScoped(id: id, with: resource, type: type, ifMatch: ifMatch) }
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

    /// Writes `resource` (a complete representation) over `current`.
    /// - `membersRead`: false when `current` was read without its members (a PATCH that does not touch them):
    ///   membership is then left exactly as it is.
    func write(_ resource: JSONValue, over current: LDAPEntry, type: ResolvedResourceType, mapped: ResourceMapping,
               ifMatch: String?, membersRead: Bool, removed: Set<String> = []) async throws -> StoredResource
    {
        let targets = try await resolver.targets(forIDs: referencedIDs(in: resource, mapped))
        let encoder = EntryEncoder(mapping: mapped, referenceDNs: targets.mapValues(\.dn))
        let encoded = try encoder.encodeNew(resource)
        var owned: Set<String> = []
        var single: Set<String> = []
        var activeChanges: [LDAPModification] = []
        for attribute in mapped.attributes {
            // PUT never clears the password; an omitted `active` leaves the lock state alone.
            if attribute.kind == .password && resource.value(at: attribute.path) == nil { continue }
            if attribute.kind == .active {
                // Only ppolicy's permanent lock is ours: a temporary lockout after failed binds is never cleared.
                let wanted = resource.value(at: attribute.path)?.boolValue
                if wanted != nil || removed.contains(attribute.path.attribute.lowercased()) {
                    activeChanges += Self.activeModifications(attribute, wanted: wanted, current: current)
                }
                continue
            }
            if attribute.kind == .groups { continue }  // read-only, maintained by the directory
            for name in attribute.ldapAttributes { owned.insert(name.lowercased()) }
            if [.string, .boolean, .reference, .password, .active].contains(attribute.kind) {
                single.insert(attribute.ldap.lowercased())
            }
        }
        for (ldap, _) in mapped.derived ?? [:] { owned.insert(ldap.lowercased()) }
        let rdnType = mapped.rdnAttribute.lowercased()
        owned.remove(rdnType)
        if let membership = mapped.membership {
            if membersRead { owned.insert(membership.attribute.lowercased()) } else { owned.remove(membership.attribute.lowercased()) }
        }
        let planner = ModificationPlanner(ownedTypes: owned, singleValuedTypes: single)
        var modifications = planner.plan(current: current, desired: encoded.attributes) + activeChanges
        // Object classes the mapping writes but an older entry lacks (e.g. the auxiliary class).
        let classes = Set(current.strings("objectClass").map { $0.lowercased() })
        let missingClasses = mapped.objectClasses.filter { !classes.contains($0.lowercased()) }
        if !missingClasses.isEmpty, !classes.isEmpty {
            modifications.insert(.add("objectClass", missingClasses), at: 0)
        }

        let readList = await readAttributes(mapped, projection: .all)
        let readBack: [LDAPRequestControl] = [.postRead(readList), .passwordPolicy]
        let currentRDN = current.string(mapped.rdnAttribute) ?? ""
        let rdnValues = ((try? DistinguishedName(current.dn))?.rdn?.assertions ?? [])
            .filter { $0.type.caseInsensitiveEquals(mapped.rdnAttribute) }.map(\.stringValue)
        let renames = !encoded.rdnValue.isEmpty && !rdnValues.contains(encoded.rdnValue)
        // If-Match rides on the write as an Assertion control, so check and write are one step. slapd's unique
        // overlay runs its duplicate search with the operation's controls, where the assertion fails (122): when
        // the write touches a unique attribute, the version is compared right before the write instead.
        let uniqueTypes = Set(uniqueLDAPTypes(mapped, type: type))
        let touchesUnique = renames || modifications.contains { uniqueTypes.contains(ModificationPlanner.type(of: $0.attribute)) }
        var assertion: [LDAPRequestControl] = []
        if let ifMatch {
            if touchesUnique {
                guard Self.version(of: current) == ifMatch else { throw SCIMError.preconditionFailed() }
            } else {
                assertion = [.assertion(.equal("entryCSN", ifMatch))]
            }
        }
        let passwordType = mapped.attributes.first { $0.kind == .password }?.ldap.lowercased()
        let passwordValue = mapped.attributes.first { $0.kind == .password }.flatMap { resource.value(at: $0.path)?.stringValue }
        // Never clear text: hashed here, or held back for Password Modify after the other changes (`exop`).
        var pending: PendingPassword?
        if let passwordType, modifications.contains(where: { ModificationPlanner.type(of: $0.attribute) == passwordType }) {
            let method = try await passwordMethodForWrite(type.resourceType.name, mapped)
            (modifications, pending) = Self.applying(method, passwordType: passwordType, to: modifications)
            if pending != nil, modifications.isEmpty, !renames, let ifMatch, !assertion.isEmpty {
                // Password Modify carries no Assertion control: the version is compared right before it.
                guard Self.version(of: current) == ifMatch else { throw SCIMError.preconditionFailed() }
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
                if renames {
                    let newRDN = "\(mapped.rdnAttribute)=\(DistinguishedName.escape(encoded.rdnValue))"
                    _ = try await connection.rename(dn: dn, newRDN: newRDN, deleteOldRDN: true)
                    let parent = (try? DistinguishedName(dn).parent?.description) ?? mapped.baseDN
                    let renamed = "\(newRDN),\(parent)"
                    do {
                        let written = modifications.isEmpty
                            ? nil : try await connection.modify(dn: renamed, modifications, controls: readBack)
                        if let pending {
                            try await self.setPassword(pending, dn: renamed, on: connection, relock: relock, undo: {
                                try await Self.undo(modifications, current: current, dn: renamed, on: connection)
                            })
                            return try await self.storedEntry(nil, fallback: renamed, connection: connection, attributes: readList)
                        }
                        return try await self.storedEntry(written, fallback: renamed, connection: connection, attributes: readList)
                    } catch {
                        // Undo the rename so the write is all or nothing.
                        let oldRDN = (try? DistinguishedName(dn).rdn?.description) ?? "\(mapped.rdnAttribute)=\(DistinguishedName.escape(currentRDN))"
                        do {
                            _ = try await connection.rename(dn: renamed, newRDN: oldRDN, deleteOldRDN: true)
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
                return try await self.decode(stored, type: type, mapped: mapped, known: [])
            }
        } catch let error as LDAPError where error.controls.passwordPolicy?.failure == .passwordInHistory && !keepsPassword {
            // Clients resend the current password with every PUT; the policy's history check refuses it as a
            // change. When it is the current password (checked by a bind), the write goes ahead without it.
            guard let passwordValue, try await bindSucceeds(dn: current.dn, password: passwordValue) else {
                throw translate(error, type.resourceType.name)
            }
            keepsPassword = true
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

    /// A write planned from a state another request changed meanwhile.
    struct ConcurrentChange: Error { let error: LDAPError }

    /// Runs a read-plan-write again (up to three times) when a concurrent change invalidated its plan.
    func retryingConcurrentChanges<T>(_ body: () async throws -> T) async throws -> T {
        for attempt in 1...3 {
            do {
                return try await body()
            } catch let change as ConcurrentChange {
                if attempt == 3 { throw translate(change.error, "resource") }
            }
        }
        throw SCIMError.internal()
    }

    /// Lock and marker changes for `active` (nil: the client removed it).
    static func activeModifications(_ attribute: AttributeMapping, wanted: Bool?, current: LDAPEntry) -> [LDAPModification] {
        var mods: [LDAPModification] = []
        let inactive = ActiveLock.isInactive(current, attribute)
        if attribute.strategy == .attribute {
            // A plain attribute: it holds exactly the value for the wanted state (nothing when no activeValue).
            let target = wanted == false ? attribute.inactiveLDAPValue : attribute.activeValue
            let values = current.strings(attribute.ldap)
            if let target, values != [target] {
                mods.append(.replace(attribute.ldap, [target]))
            } else if target == nil, inactive {
                mods.append(.delete(attribute.ldap))
            }
        } else if wanted == false, !inactive {
            mods.append(.replace(attribute.ldap, [ActiveLock.permanentLock]))
        } else if wanted != false, inactive {
            mods.append(.delete(attribute.ldap, [ActiveLock.permanentLock]))
        }
        if let marker = attribute.marker {
            let markerValue = current.string(marker)
            switch wanted {
            case .some(let flag) where markerValue != (flag ? "TRUE" : "FALSE"):
                mods.append(.replace(marker, [flag ? "TRUE" : "FALSE"]))
            case .none where markerValue != nil:
                mods.append(.delete(marker))
            default:
                break
            }
        }
        return mods
    }

    /// Lower-cased LDAP types holding SCIM attributes with server uniqueness (userName, externalId).
    func uniqueLDAPTypes(_ mapped: ResourceMapping, type: ResolvedResourceType) -> [String] {
        mapped.attributes.filter { attribute in
            let path = attribute.path
            guard path.sub == nil else { return false }
            let definition = type.attribute(named: path.attribute, schemaURN: path.urn)?.attribute
            return definition?.uniqueness != SCIMAttribute.Uniqueness.none
                || path.attribute.caseInsensitiveEquals("externalId")
        }.map { $0.ldap.lowercased() }
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
