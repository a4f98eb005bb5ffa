import Foundation
import LDAPClient
import SCIMCore

/// Translates a resolved SCIM filter into ONE LDAP filter for a resource type's mapping. Nothing is filtered in
/// memory: what LDAP cannot evaluate exactly (a missing matching rule, an uncorrelatable condition) is refused
/// with 400 invalidFilter naming the attribute.
struct SCIMFilterTranslation {
    let mapping: ResourceMapping
    let type: ResolvedResourceType
    let rules: DirectorySchemaRules
    /// id → DN for the ids the filter compares references against (members, manager, groups).
    var referenceDNs: [String: String] = [:]
    /// id → stored member value, when members are stored by value (posixGroup's memberUid).
    var memberValues: [String: String]?
    /// Every pwdPolicy under the mapping's `policiesBaseDN`, for `passwordState` filters that depend on the policy
    /// (nil: not read, such filters are refused); `passwordStateNow` is the time they are judged at.
    var passwordPoliciesForFilter: [PasswordPolicy]?
    var passwordStateNow = Date()

    /// Every id compared against a reference-like attribute, to resolve in one batch before translating.
    func referencedIDs(in filter: SCIMFilter, inside parent: String? = nil) -> [String] {
        switch filter {
        case .and(let l, let r), .or(let l, let r): return referencedIDs(in: l, inside: parent) + referencedIDs(in: r, inside: parent)
        case .not(let f): return referencedIDs(in: f, inside: parent)
        case .valuePath(let path, let f): return referencedIDs(in: f, inside: path.attribute)
        case .present: return []
        case .compare(let path, _, let value):
            let top = parent ?? path.attribute
            guard let attribute = mappingFor(top: top, urn: parent == nil ? path.schemaURN : nil),
                [.members, .reference, .groups].contains(attribute.kind.name), let id = value.stringValue
            else { return [] }
            return [id]
        }
    }

    func translate(_ filter: SCIMFilter) throws(SCIMError) -> LDAPFilter {
        switch filter {
        case .and(let l, let r): return .and([try translate(l), try translate(r)])
        case .or(let l, let r): return .or([try translate(l), try translate(r)])
        case .not(let f): return .not(try translate(f))
        case .present(let path): return try condition(path, nil, nil, parent: nil)
        case .compare(let path, let op, let value): return try condition(path, op, value, parent: nil)
        case .valuePath(let path, let inner): return try valuePath(path, inner)
        }
    }

    // MARK: Attribute lookup

    private func mappingFor(top: String, urn: String?, sub: String? = nil) -> AttributeMapping? {
        mapping.attributes.first { attribute in
            let path = attribute.path
            guard path.attribute.caseInsensitiveEquals(top) else { return false }
            if let urn, !urn.caseInsensitiveEquals(type.coreSchema.id) {
                guard path.schemaURN?.caseInsensitiveEquals(urn) == true else { return false }
            } else if path.schemaURN != nil {
                return false
            }
            if [.tagged, .typed, .members, .groups, .reference].contains(attribute.kind.name) { return true }
            if let sub { return path.subAttribute?.caseInsensitiveEquals(sub) == true }
            return path.subAttribute == nil
        }
    }

    private func name(_ path: AttributePath, parent: String?) -> String {
        let base = parent.map { "\($0).\(path.attribute)" } ?? path.description
        return base
    }

    // MARK: Conditions

    /// `op` nil means `pr`.
    private func condition(_ path: AttributePath, _ op: CompareOp?, _ value: JSONValue?, parent: String?) throws(SCIMError)
        -> LDAPFilter
    {
        let top = parent ?? path.attribute
        let sub = parent == nil ? path.subAttribute : path.attribute
        let label = parent.map { "\($0).\(path.attribute)" } ?? path.description
        if parent == nil, let special = try operational(path, op, value) { return special }
        if parent == nil, let state = try passwordStateCondition(path, op, value) { return state }
        guard let attribute = mappingFor(top: top, urn: parent == nil ? path.schemaURN : nil, sub: sub) else {
            if top.caseInsensitiveEquals("password") { throw SCIMError.invalidFilter("password cannot be filtered on.") }
            // A schema attribute this mapping does not store is never assigned.
            return op == .ne ? .alwaysTrue : .alwaysFalse
        }
        if op == .eq, value?.isNull == true { return .not(try condition(path, nil, nil, parent: parent)) }
        switch attribute.kind {
        case .password:
            throw SCIMError.invalidFilter("password cannot be filtered on.")
        case .string, .strings, .boolean:
            let text = try stringValue(value, op, label, boolean: attribute.kind.name == .boolean)
            return try compare(attribute.ldap, op, text, label: label)
        case .active(let settings):
            // Without a marker every unlocked entry is active; with one, active is assigned only where the
            // marker (or the permanent lock) is.
            let locked = LDAPFilter.equal(attribute.ldap, settings.inactiveValue)
            var isTrue: LDAPFilter = settings.marker.map { .and([.not(locked), .present($0)]) } ?? .not(locked)
            var assigned: LDAPFilter = settings.marker.map { .or([locked, .present($0)]) } ?? .alwaysTrue
            if settings.marker == nil, let active = settings.activeValue {
                isTrue = .equal(attribute.ldap, active)
                assigned = .present(attribute.ldap)
            }
            guard let op else { return assigned }
            guard op == .eq || op == .ne, let flag = value?.boolValue else {
                throw SCIMError.invalidFilter("active supports eq, ne and pr with true or false.")
            }
            let matched = flag ? isTrue : locked
            return op == .eq ? matched : .not(matched)
        case .reference, .members, .groups:
            guard sub == nil || sub!.caseInsensitiveEquals("value") else {
                throw SCIMError.invalidFilter("\(label) cannot be filtered on; use \(top).value.")
            }
            guard let op else { return .present(attribute.ldap) }
            guard op == .eq || op == .ne, let id = value?.stringValue else {
                throw SCIMError.invalidFilter("\(label) supports eq, ne and pr.")
            }
            let stored = attribute.kind.name == .members ? (memberValues.map { $0[id] } ?? referenceDNs[id]) : referenceDNs[id]
            let matched: LDAPFilter = stored.map { .equal(attribute.ldap, $0) } ?? .alwaysFalse
            return op == .eq ? matched : .not(matched)
        case .tagged(let settings):
            return try tagged(
                attribute, settings, sub: sub, op, value,
                options: TaggedValueOptions(type: nil, primary: false, index: nil), label: label)
        case .typed(let settings):
            return try typed(settings, sub: sub, op, value, type: nil, label: label)
        }
    }

    /// id, meta.created, meta.lastModified, meta.resourceType.
    private func operational(_ path: AttributePath, _ op: CompareOp?, _ value: JSONValue?) throws(SCIMError) -> LDAPFilter? {
        let name = path.subAttribute.map { "\(path.attribute).\($0)" } ?? path.attribute
        switch name.lowercased() {
        case "id":
            guard let op else { return .alwaysTrue }
            guard let text = value?.stringValue else { throw SCIMError.invalidFilter("id compares with a string.") }
            switch op {
            case .eq: return UUIDSyntax.isValid(text) ? .equal("entryUUID", text) : .alwaysFalse
            case .ne: return UUIDSyntax.isValid(text) ? .not(.equal("entryUUID", text)) : .alwaysTrue
            default: throw SCIMError.invalidFilter("id supports eq, ne and pr.")
            }
        case "meta.created", "meta.lastmodified":
            let ldap = name.lowercased() == "meta.created" ? "createTimestamp" : "modifyTimestamp"
            guard let op else { return .present(ldap) }
            guard let text = value?.stringValue, let date = SCIMDateTime.parse(text) else {
                throw SCIMError.invalidFilter("\(name) compares with an RFC 3339 date-time.")
            }
            return try compare(ldap, op, GeneralizedTime.format(date), label: name)
        case "meta.resourcetype":
            guard let op else { return .alwaysTrue }
            let same = value?.stringValue?.caseInsensitiveEquals(type.resourceType.name) == true
            switch op {
            case .eq: return same ? .alwaysTrue : .alwaysFalse
            case .ne: return same ? .alwaysFalse : .alwaysTrue
            default: throw SCIMError.invalidFilter("meta.resourceType supports eq and ne.")
            }
        case "meta.version", "meta.location", "schemas":
            throw SCIMError.invalidFilter("\(name) cannot be filtered on.")
        default:
            return nil
        }
    }

    func stringValue(_ value: JSONValue?, _ op: CompareOp?, _ label: String, boolean: Bool = false)
        throws(SCIMError) -> String?
    {
        guard op != nil, let value else { return nil }
        if boolean {
            guard let flag = value.boolValue else { throw SCIMError.invalidFilter("\(label) compares with true or false.") }
            return flag ? "TRUE" : "FALSE"
        }
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .number(let number): return String(number)
        case .bool(let flag): return flag ? "TRUE" : "FALSE"
        default: throw SCIMError.invalidFilter("\(label) compares with a string.")
        }
    }

    /// A comparison on one LDAP attribute description, checked against the directory's matching rules.
    func compare(_ description: String, _ op: CompareOp?, _ text: String?, label: String) throws(SCIMError)
        -> LDAPFilter
    {
        let typeName = String(description.split(separator: ";").first ?? "")
        let available = rules.rules(for: typeName)
        func need(_ rule: String?, _ what: String) throws(SCIMError) {
            guard rule != nil else {
                throw SCIMError.invalidFilter(
                    "\(label) cannot be compared with \(what) by this directory (\(typeName) has no \(what) matching rule).")
            }
        }
        guard let op, let text else { return .present(description) }
        switch op {
        case .eq:
            try need(available?.equality, "equality")
            return .equal(description, text)
        case .ne:
            try need(available?.equality, "equality")
            return .not(.equal(description, text))
        case .co, .sw, .ew:
            try need(available?.substring, "substring")
            guard !text.isEmpty else { return .present(description) }
            return switch op {
            case .co: .substrings(description, any: [text])
            case .sw: .substrings(description, initial: text)
            default: .substrings(description, final: text)
            }
        case .ge, .le, .gt, .lt:
            try need(available?.ordering, "ordering")
            return switch op {
            case .ge: .greaterOrEqual(description, text)
            case .le: .lessOrEqual(description, text)
            case .gt: .and([.greaterOrEqual(description, text), .not(.equal(description, text))])
            default: .and([.lessOrEqual(description, text), .not(.equal(description, text))])
            }
        }
    }

    // MARK: Multi-valued complex attributes

    /// `emails[type eq "work" and value co "@x"]`: type and primary become attribute options, so the value
    /// condition applies to exactly the values that carry them.
    private func valuePath(_ path: AttributePath, _ inner: SCIMFilter) throws(SCIMError) -> LDAPFilter {
        if Self.isPasswordState(path), mapping.passwordPolicy?.showsState == true {
            throw SCIMError.invalidFilter("passwordState is not multi-valued: use passwordState.<sub-attribute>.")
        }
        guard let attribute = mappingFor(top: path.attribute, urn: path.schemaURN) else { return .alwaysFalse }
        switch attribute.kind {
        case .members, .groups, .reference:
            return try translateInside(inner, parent: path.attribute)
        case .tagged(let settings):
            return try taggedValuePath(attribute, settings, inner, label: path.attribute)
        case .typed(let settings):
            return try typedValuePath(settings, inner, label: path.attribute)
        default:
            throw SCIMError.invalidFilter("\(path.attribute) is not multi-valued: [...] does not apply.")
        }
    }

    private func translateInside(_ filter: SCIMFilter, parent: String) throws(SCIMError) -> LDAPFilter {
        switch filter {
        case .and(let l, let r): return .and([try translateInside(l, parent: parent), try translateInside(r, parent: parent)])
        case .or(let l, let r): return .or([try translateInside(l, parent: parent), try translateInside(r, parent: parent)])
        case .not(let f): return .not(try translateInside(f, parent: parent))
        case .present(let p): return try condition(p, nil, nil, parent: parent)
        case .compare(let p, let op, let v): return try condition(p, op, v, parent: parent)
        case .valuePath: throw SCIMError.invalidFilter("Nested [...] filters are not allowed.")
        }
    }

    private func taggedValuePath(
        _ attribute: AttributeMapping, _ settings: AttributeMapping.Tagged, _ inner: SCIMFilter,
        label: String
    ) throws(SCIMError) -> LDAPFilter {
        switch inner {
        case .or(let l, let r):
            return .or([
                try taggedValuePath(attribute, settings, l, label: label),
                try taggedValuePath(attribute, settings, r, label: label),
            ])
        default:
            break
        }
        // A conjunction of terms: type/primary select options, the rest compare values of those options.
        var terms: [SCIMFilter] = []
        func flatten(_ filter: SCIMFilter) { if case .and(let l, let r) = filter { flatten(l); flatten(r) } else { terms.append(filter) } }
        flatten(inner)
        var options = TaggedValueOptions(type: nil, primary: false, index: nil)
        var conditions: [(sub: String, op: CompareOp?, value: JSONValue?)] = []
        for term in terms {
            switch term {
            case .compare(let p, .eq, let v) where p.attribute.caseInsensitiveEquals("type") && v.stringValue != nil:
                guard options.type == nil else { throw SCIMError.invalidFilter("\(label)[...] names type twice.") }
                options.type = v.stringValue?.lowercased()
            case .compare(let p, .eq, let v) where p.attribute.caseInsensitiveEquals("primary") && v.boolValue == true:
                options.primary = true
            case .compare(let p, let op, let v) where !p.attribute.caseInsensitiveEquals("type") && !p.attribute.caseInsensitiveEquals("primary"):
                conditions.append((p.attribute, op, v))
            case .present(let p) where !p.attribute.caseInsensitiveEquals("type") && !p.attribute.caseInsensitiveEquals("primary"):
                conditions.append((p.attribute, nil, nil))
            default:
                throw SCIMError.invalidFilter(
                    "\(label)[\(inner)] cannot be evaluated exactly by the directory: use type eq, primary eq true and conditions on the value joined by and."
                )
            }
        }
        if conditions.isEmpty { conditions.append(("value", nil, nil)) }
        let parts = try conditions.map { condition throws(SCIMError) in
            try tagged(
                attribute, settings, sub: condition.sub, condition.op, condition.value, options: options,
                label: "\(label).\(condition.sub)")
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// A condition on one sub-attribute of a tagged attribute, restricted to values carrying `options`.
    private func tagged(
        _ attribute: AttributeMapping, _ settings: AttributeMapping.Tagged, sub: String?, _ op: CompareOp?,
        _ value: JSONValue?, options: TaggedValueOptions, label: String
    ) throws(SCIMError) -> LDAPFilter {
        let sub = sub ?? "value"
        if sub.caseInsensitiveEquals("type") || sub.caseInsensitiveEquals("primary") {
            // `emails.type eq "work"` outside brackets: some value carries the option.
            guard let op else { return .present(attribute.ldap) }
            if sub.caseInsensitiveEquals("primary") {
                guard op == .eq, let flag = value?.boolValue else { throw SCIMError.invalidFilter("\(label) supports eq true/false.") }
                let primary = LDAPFilter.present(TaggedValueOptions(type: nil, primary: true, index: nil).description(for: attribute.ldap))
                return flag ? primary : .not(primary)
            }
            guard op == .eq || op == .ne, let text = value?.stringValue else {
                throw SCIMError.invalidFilter("\(label) supports eq and ne.")
            }
            let typed = LDAPFilter.present(TaggedValueOptions(type: text, primary: false, index: nil).description(for: attribute.ldap))
            return op == .eq ? typed : .not(typed)
        }
        let ldap: String
        if sub.caseInsensitiveEquals("display"), let display = settings.display {
            ldap = display
        } else if let subs = settings.subAttributes {
            guard let found = subs.first(where: { $0.key.caseInsensitiveEquals(sub) })?.value else {
                return op == .ne ? .alwaysTrue : .alwaysFalse
            }
            ldap = found
        } else if sub.caseInsensitiveEquals("value") {
            ldap = attribute.ldap
        } else {
            return op == .ne ? .alwaysTrue : .alwaysFalse
        }
        var text = try stringValue(value, op, label)
        if settings.binary, sub.caseInsensitiveEquals("value"), let encoded = text {
            guard let bytes = Data(base64Encoded: encoded) else { throw SCIMError.invalidFilter("\(label) compares with base64.") }
            guard op == .eq || op == .ne else { throw SCIMError.invalidFilter("\(label) supports eq, ne and pr.") }
            let matched = LDAPFilter.equal(options.description(for: ldap), Array(bytes))
            return op == .eq ? matched : .not(matched)
        }
        if options.type == nil, !options.primary, text == "" { text = nil }
        let main = try compare(options.description(for: ldap), op, text, label: label)
        // Entries written before the gateway keep the value only in standard attributes (mail, telephoneNumber).
        var mirrors: [String] = []
        if let mirror = settings.mirror, sub.caseInsensitiveEquals("value"), let op, op != .ne {
            if let type = options.type {
                mirrors = mirror[type].map { [$0] } ?? []
            } else if options.primary {
                mirrors = mirror["primary"].map { [$0] } ?? []
            } else {
                mirrors = Array(Set(mirror.values)).sorted()
            }
            mirrors = mirrors.filter { rules.rules(for: $0).map { mirrorAllows(op, $0) } ?? false }
        }
        if !mirrors.isEmpty {
            var alternatives = [main]
            for mirror in mirrors { alternatives.append(try compare(mirror, op, text, label: label)) }
            return .or(alternatives)
        }
        return main
    }

    private func mirrorAllows(_ op: CompareOp, _ rules: DirectorySchemaRules.Rules) -> Bool {
        switch op {
        case .eq, .ne: rules.equality != nil
        case .co, .sw, .ew: rules.substring != nil
        default: rules.ordering != nil
        }
    }
}

extension GeneralizedTime {
    /// A date as GeneralizedTime in UTC, second resolution (`20110513044234Z`).
    static func format(_ date: Date) -> String {
        LDAPGeneralizedTime.string(from: date)
    }
}
