import LDAPClient
import SCIMCore

/// What a write of a complete representation changes on an entry, planned without the directory: the minimal
/// modifications (`ModificationPlanner`), the rename when a naming value changes (`RDNChange`), and the lock and
/// marker changes for `active`. The store reads what the plan needs (the entry, what SCIM sees of it, referenced
/// entries) and runs what it decides.
struct WritePlan {
    /// The modifications, planned on the entry as renamed when `rdnChange` is set.
    var modifications: [LDAPModification]
    var rdnChange: RDNChange?
    /// Description key → the current values SCIM sees (see `ModificationPlanner.visible`).
    var visible: [String: [[UInt8]]]

    /// Where the representation a write carries came from, as far as planning it differs.
    enum Source: Sendable, Equatable {
        /// A PUT: the client's complete representation (members included).
        case replacement
        /// A PATCH applied to the entry as read. `membersRead`: false when the entry was read without its members
        /// (a PATCH that does not touch them): membership is then left exactly as it is. `removed`: lower-cased
        /// top-level attributes the PATCH removed (a removed `active` clears the lock state).
        case patch(membersRead: Bool, removed: Set<String>)

        var membersRead: Bool {
            if case .patch(let membersRead, _) = self { return membersRead }
            return true
        }

        var removed: Set<String> {
            if case .patch(_, let removed) = self { return removed }
            return []
        }
    }

    /// Plans writing `resource` (encoded as `encoded`) over `current`, whose SCIM view encodes as `view`.
    init(
        _ resource: JSONValue, encoded: EntryEncoder.Encoded, over current: LDAPEntry, view: EntryEncoder.Encoded,
        mapped: ResourceMapping, source: Source = .replacement
    ) throws(SCIMError) {
        let membersRead = source.membersRead
        let removed = source.removed
        let types = mapped.memo.writtenTypes { Self.writtenTypes(mapped) }
        var owned = types.owned
        var single = types.single
        var activeChanges: [LDAPModification] = []
        var passwordsSent: Set<String> = []
        var passwordsLeft: Set<String> = []
        for attribute in mapped.attributes {
            switch attribute.kind {
            case .password:
                // PUT never clears the password: a representation without it leaves its LDAP types alone.
                let names = attribute.ldapAttributes.map { $0.lowercased() }
                if resource.value(at: attribute.path) == nil { passwordsLeft.formUnion(names) } else { passwordsSent.formUnion(names) }
            case .active(let settings):
                // An omitted `active` leaves the lock state alone. Only ppolicy's permanent lock is ours: a
                // temporary lockout after failed binds is never cleared.
                let wanted = resource.value(at: attribute.path)?.boolValue
                if wanted != nil || removed.contains(attribute.path.attribute.lowercased()) {
                    activeChanges += Self.activeModifications(attribute.ldap, settings, wanted: wanted, current: current)
                }
            default: continue
            }
        }
        let untouched = passwordsLeft.subtracting(passwordsSent).intersection(types.passwordOnly)
        owned.subtract(untouched)
        single.subtract(untouched)
        if let membership = mapped.membership {
            if membersRead { owned.insert(membership.attribute.lowercased()) } else { owned.remove(membership.attribute.lowercased()) }
        }
        for derivedType in encoded.derivedTypes where view.derivedTypes.contains(derivedType) && !current.values(derivedType).isEmpty {
            // Neither the client nor the gateway's answer holds a value of its own: what the directory has
            // stays (an LDAP-required attribute is derived only when it is empty).
            owned.remove(derivedType)
        }
        var planner = ModificationPlanner(ownedTypes: owned, singleValuedTypes: single)
        planner.dnValuedTypes = Self.dnValuedTypes(mapped)
        // What SCIM sees of the entry now: only those values may go.
        planner.visible = VisibleValues.compute(current: current, view: view.attributes, dnValued: planner.dnValuedTypes)
        var desired = encoded.attributes
        if let membership = mapped.membership, let placeholder = membership.placeholder, membersRead,
            let seen = planner.visible[ModificationPlanner.key(membership.attribute)],
            seen.count < current.values(membership.attribute).count,
            let index = desired.firstIndex(where: { $0.0.caseInsensitiveEquals(membership.attribute) }),
            desired[index].1 == [Array(placeholder.utf8)], !current.values(membership.attribute).contains(Array(placeholder.utf8))
        {
            // Members SCIM cannot see keep the group valid on their own: no placeholder beside them.
            desired[index].1 = []
        }
        var modifications = planner.plan(current: current, desired: desired) + activeChanges
        let rdnChange = try RDNChange.plan(current: current, modifications: modifications, preferred: desired)
        if let rdnChange {
            // The rename moves the naming values; the modify does the rest, planned on the renamed entry.
            for change in rdnChange.replaced {
                planner.visible[change.key] = planner.visible[change.key].map { $0.filter { !RDNChange.equal($0, change.old) } + [change.new] }
            }
            modifications = planner.plan(current: rdnChange.renamed, desired: desired) + activeChanges
        }
        self.modifications = modifications
        self.rdnChange = rdnChange
        self.visible = planner.visible
    }

    /// The lower-cased LDAP types a write of the mapping's resource owns (may change), those holding one value,
    /// and those only a password attribute owns (left alone when the representation carries no password).
    struct WrittenTypes: Sendable {
        var owned: Set<String> = []
        var single: Set<String> = []
        var passwordOnly: Set<String> = []
    }

    static func writtenTypes(_ mapped: ResourceMapping) -> WrittenTypes {
        var types = WrittenTypes()
        var password: Set<String> = []
        var others: Set<String> = []
        for attribute in mapped.attributes {
            // `active` is written through its own modifications; `groups` is read-only, kept by the directory.
            if case .active = attribute.kind { continue }
            if attribute.kind.name == .groups { continue }
            let names = attribute.ldapAttributes.map { $0.lowercased() }
            types.owned.formUnion(names)
            if attribute.kind.name == .password { password.formUnion(names) } else { others.formUnion(names) }
            if [.string, .boolean, .reference, .password].contains(attribute.kind.name) {
                types.single.insert(attribute.ldap.lowercased())
            }
        }
        for (ldap, _) in mapped.derived ?? [:] {
            types.owned.insert(ldap.lowercased())
            others.insert(ldap.lowercased())
        }
        types.passwordOnly = password.subtracting(others)
        return types
    }

    /// True when a `replace` carries values SCIM cannot see (the other `cn`s): such a write must not run over a
    /// version it was not planned from.
    var carriesHidden: Bool {
        modifications.contains { $0.operation == .replace && visible[ModificationPlanner.key($0.attribute)] != nil }
    }

    /// Lower-cased LDAP types whose values are DNs (members, references).
    static func dnValuedTypes(_ mapped: ResourceMapping) -> Set<String> {
        var types = Set(mapped.attributes.filter { $0.kind.name == .members || $0.kind.name == .reference }.map { $0.ldap.lowercased() })
        if let membership = mapped.membership { types.insert(membership.attribute.lowercased()) }
        return types
    }

    /// Lower-cased LDAP types holding SCIM attributes with server uniqueness (userName, externalId).
    static func uniqueLDAPTypes(_ mapped: ResourceMapping, type: ResolvedResourceType) -> Set<String> {
        mapped.memo.uniqueLDAPTypes(of: type.resourceType.name) { computeUniqueLDAPTypes(mapped, type: type) }
    }

    private static func computeUniqueLDAPTypes(_ mapped: ResourceMapping, type: ResolvedResourceType) -> Set<String> {
        Set(
            mapped.attributes.filter { attribute in
                let path = attribute.path
                guard path.subAttribute == nil else { return false }
                let definition = type.attribute(named: path.attribute, schemaURN: path.schemaURN)?.attribute
                return definition?.uniqueness != SCIMAttribute.Uniqueness.none
                    || path.attribute.caseInsensitiveEquals("externalId")
            }.map { $0.ldap.lowercased() })
    }

    /// Lock and marker changes for `active` (nil: the client removed it).
    static func activeModifications(_ ldap: String, _ active: AttributeMapping.Active, wanted: Bool?, current: LDAPEntry)
        -> [LDAPModification]
    {
        var mods: [LDAPModification] = []
        let inactive = ActiveLock.isInactive(current, ldap, active)
        switch active.strategy {
        case .attribute(let inactiveValue, let activeValue):
            // A plain attribute: it holds exactly the value for the wanted state (nothing when no activeValue).
            let target = wanted == false ? inactiveValue : activeValue
            let values = current.strings(ldap)
            if let target, values != [target] {
                mods.append(.replace(ldap, [target]))
            } else if target == nil, inactive {
                mods.append(.delete(ldap))
            }
        case .ppolicy:
            if wanted == false, !inactive {
                mods.append(.replace(ldap, [ActiveLock.permanentLock]))
            } else if wanted != false, inactive {
                mods.append(.delete(ldap, [ActiveLock.permanentLock]))
            }
        }
        if let marker = active.marker {
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
}
