import LDAPClient
import SCIMCore

/// The write PUT and PATCH share: a complete representation written over the entry as read, as the minimal
/// modifications `WritePlan` plans — renaming first when the RDN value changes, and undoing that rename if the
/// modify fails, so no write is ever half-applied (`PreparedWrite` runs it). A current password resent with a PUT
/// is kept out of the write when the policy's history refuses it.
struct EntryUpdate {
    let store: LDAPResourceStore

    /// Writes `resource` over `current` (see `WritePlan.Source`), held to the client's If-Match.
    /// `decoded`: `current` itself, already decoded by the caller (`ResourceReader.decodeForWrite`), reused for the
    /// view; nil decodes it here.
    func write(
        _ resource: JSONValue, over current: LDAPEntry, decoded: DecodedEntry? = nil, type: ResolvedResourceType,
        mapped: ResourceMapping, condition: IfMatchCondition, source: WritePlan.Source
    ) async throws -> StoredResource {
        let prepared = try await prepare(
            resource, over: current, decoded: decoded, type: type, mapped: mapped, condition: condition,
            source: source)
        let passwordValue = mapped.attributes.first { $0.kind.name == .password }.flatMap { resource.value(at: $0.path)?.stringValue }
        var keepsPassword = false
        // The group cache holds groups (id, name, the groups they are in): only a write to a group entry can
        // change it. Cleared before and after, so no read racing the write caches what it replaces; a user's
        // write leaves it alone, so decoding the user's `groups` afterwards (and every other request's) still
        // finds it.
        let touchesGroups = store.mayHoldGroup(current.dn, writtenAs: mapped)
        if touchesGroups { store.groupCache.clear() }
        defer { if touchesGroups { store.groupCache.clear() } }
        while true {
            do {
                // The pooled connection is held for the write alone: decoding the result may search (groups,
                // references), and a search waiting for a second connection while every connection is held by such
                // a write would wait forever.
                return try await store.actingAsOwner(of: current) { [keepsPassword] owner in
                    let stored = try await owner.pool.withConnection { connection in
                        try await prepared.run(on: connection, keepingPassword: keepsPassword, store: owner)
                    }
                    await owner.followMemberValues(from: current, to: stored)
                    return try await owner.reader.decode(stored, type: type, mapped: mapped, known: [])
                }
            } catch let error as LDAPError where error.controls.passwordPolicy?.failure == .passwordInHistory && !keepsPassword {
                // Clients resend the current password with every PUT; the policy's history check refuses it as a
                // change. When it is the current password (checked by a bind), the write goes ahead without it.
                guard let passwordValue, try await store.bindSucceeds(dn: current.dn, password: passwordValue) else {
                    throw store.translate(error, type.resourceType.name)
                }
                keepsPassword = true
            } catch let error as LDAPError where prepared.guarded && error.code == .assertionFailed {
                throw ConcurrentChange(error: error)
            } catch let error as LDAPError where error.code == .noSuchAttribute || error.code == .attributeOrValueExists {
                // The entry changed between the read and this write (another request): the caller starts over.
                throw ConcurrentChange(error: error)
            } catch let error as LDAPError {
                throw store.translate(error, type.resourceType.name)
            }
        }
    }

    /// Everything the write decides before it reaches the directory: the plan, the object classes it needs, the
    /// password's method and the If-Match controls.
    func prepare(
        _ resource: JSONValue, over current: LDAPEntry, decoded: DecodedEntry? = nil, type: ResolvedResourceType,
        mapped: ResourceMapping, condition: IfMatchCondition, source: WritePlan.Source
    ) async throws -> PreparedWrite {
        let targets = try await store.references.targets(of: resource, mapped)
        let encoded = try ReferenceLookup.encoder(mapped, targets: targets).encodeNew(resource)
        let view = try await currentView(current, reusing: decoded, type: type, mapped: mapped)
        let plan = try WritePlan(resource, encoded: encoded, over: current, view: view, mapped: mapped, source: source)
        var modifications = plan.modifications
        // Object classes the mapping writes but an older entry lacks (e.g. the auxiliary class), when the
        // write needs them: an entry another tool created does not gain posixAccount for a new title.
        let classes = current.strings("objectClass")
        let missingClasses = mapped.objectClasses.filter { name in !classes.contains { $0.caseInsensitiveEquals(name) } }
        if !missingClasses.isEmpty, !classes.isEmpty {
            let needed = await classesNeeded(by: modifications, classes: classes, candidates: missingClasses)
            if !needed.isEmpty { modifications.insert(.add("objectClass", needed), at: 0) }
        }
        // Never clear text: hashed here, or held back for Password Modify after the other changes (`exop`).
        let passwordType = mapped.attributes.first { $0.kind.name == .password }?.ldap.lowercased()
        var pending: PasswordWrites.Pending?
        if let passwordType, modifications.contains(where: { ModificationPlanner.type(of: $0.attribute) == passwordType }) {
            let method = try await store.passwords.methodForWrite(type.resourceType.name, mapped)
            (modifications, pending) = PasswordWrites.applying(method, passwordType: passwordType, to: modifications)
        }
        // slapd's unique overlay runs its duplicate search with the operation's controls, where the assertion fails
        // (122); a rename and Password Modify carry no Assertion control: for those the version is compared right
        // before the write instead.
        let uniqueTypes = WritePlan.uniqueLDAPTypes(mapped, type: type)
        let touchesUnique =
            plan.rdnChange != nil
            || modifications.contains { uniqueTypes.contains(ModificationPlanner.type(of: $0.attribute)) }
        let onlyPasswordModify = pending != nil && modifications.isEmpty
        var assertion = try condition.controls(current: current, inOperation: !touchesUnique && !onlyPasswordModify)
        // A replace that carries values SCIM cannot see (the other `cn`s) would drop one another tool adds
        // between the read and this write: the write asserts the version it planned from, and starts over when
        // the entry changed meanwhile.
        let guarded = condition.version == nil && plan.carriesHidden && !touchesUnique && current.string("entryCSN") != nil
        if guarded { assertion = [IfMatchCondition.assertion(EntryDecoder.version(current))] }
        let relock =
            pending == nil
            ? [] : PasswordWrites.relock(mapped, resource: resource, current: current, removed: source.removed)
        return PreparedWrite(
            current: current, modifications: modifications, rdnChange: plan.rdnChange, assertion: assertion,
            readList: await store.readAttributes(mapped, projection: .all), passwordType: passwordType,
            pending: pending, relock: relock, guarded: guarded)
    }

    /// Of the mapping's classes an entry lacks, those that allow an attribute `modifications` write and the
    /// entry's own classes do not (all of them when the directory's schema cannot be read).
    func classesNeeded(by modifications: [LDAPModification], classes: [String], candidates: [String]) async -> [String] {
        guard let schema = try? await store.directoryRules(), !schema.objectClasses.isEmpty else { return candidates }
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
    func currentView(_ current: LDAPEntry, reusing decoded: DecodedEntry? = nil, type: ResolvedResourceType, mapped: ResourceMapping)
        async throws -> EntryEncoder.Encoded
    {
        let resource: JSONValue
        let references: [String: EntryDecoder.ResolvedReference]
        if let decoded {
            // Decoded as a read decodes it: `groups` and the password state as well, which the encoder skips.
            (resource, references) = (decoded.resource, decoded.references)
        } else {
            // `groups` is read-only (never written): its references need no lookup here.
            references = try await store.references.resolve(in: [current], mapped: mapped, known: [], kinds: [.reference, .members])
            var decoder = EntryDecoder(mapping: mapped, type: type, baseURL: store.baseURL)
            decoder.references = references
            resource = try decoder.decode(current).resource
        }
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
}
