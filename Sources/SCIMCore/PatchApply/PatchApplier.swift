import OrderedCollections

/// Applies a PATCH request (RFC 7644 §3.5.2) to a resource's JSON, with the habits of real clients accepted:
/// path-less values with dotted and URN keys (Entra ID), a replace whose value filter matches nothing adds the
/// value (Entra ID; `strictNoTarget` restores the RFC's 400 noTarget), member removal by a value list.
///
/// Group membership is reported as per-value changes (`memberChanges`) so a backend can add one member to a
/// 10,000-member group without reading it: see `needsCurrentMembers`.
public struct PatchApplier: Sendable {
    public let type: ResolvedResourceType
    public var strictNoTarget: Bool

    public init(type: ResolvedResourceType, strictNoTarget: Bool = false) {
        self.type = type
        self.strictNoTarget = strictNoTarget
    }

    public struct MemberChanges: Sendable, Hashable {
        public var added: [String] = []
        public var removed: [String] = []
        /// Set when the whole list was replaced or cleared (then `added` is the new list).
        public var replacedAll = false
        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && !replacedAll }
    }

    public struct Result: Sendable {
        public var resource: JSONValue
        public var memberChanges: MemberChanges
        /// True when an attribute other than `members` was touched.
        public var changesOtherAttributes: Bool
    }

    /// Whether `apply` needs the current members in the resource it is given. False when every operation
    /// touching `members` is an add of values or a removal of given ids and nothing else is touched.
    public func needsCurrentMembers(_ request: PatchRequest) -> Bool {
        var touchesMembers = false
        var touchesOthers = false
        var simple = true
        for operation in request.operations {
            guard let path = operation.path else {
                let keys = operation.value?.memberNames ?? []
                if keys.contains(where: { $0.caseInsensitiveEquals("members") }) { touchesMembers = true; simple = false }
                if keys.contains(where: { !$0.caseInsensitiveEquals("members") }) { touchesOthers = true }
                continue
            }
            guard path.attribute.caseInsensitiveEquals("members"), path.schemaURN == nil else { touchesOthers = true; continue }
            touchesMembers = true
            switch operation.op {
            case .add: simple = simple && path.valueFilter == nil && path.subAttribute == nil
            case .remove:
                let byValueList = path.valueFilter == nil && operation.value?.arrayValue != nil
                let byFilter = path.valueFilter.flatMap(Self.memberID(in:)) != nil
                let all = path.valueFilter == nil && operation.value == nil
                simple = simple && (byValueList || byFilter || all)
            case .replace: simple = false
            }
        }
        return touchesMembers && (touchesOthers || !simple)
    }

    public func apply(_ request: PatchRequest, to resource: JSONValue) throws(SCIMError) -> Result {
        var state = State(resource: resource)
        for operation in request.operations {
            if let path = operation.path, let urn = path.schemaURN, path.subAttribute == nil, path.valueFilter == nil,
                let ext = type.extensionSchema(urn: "\(urn):\(path.attribute)")
            {
                // The path names a whole extension schema (urn:…:enterprise:2.0:User).
                try applyExtension(operation.op, ext, operation.value, to: &state)
            } else if let path = operation.path {
                let resolved = try path.resolved(against: type, errorType: .invalidPath)
                try apply(operation.op, resolved, operation.value, to: &state)
            } else {
                guard operation.op != .remove else { throw SCIMError.noTarget("remove needs a path.") }
                guard case .object(let fields)? = operation.value else {
                    throw SCIMError.invalidValue("\(operation.op.rawValue) without a path takes an object value.")
                }
                for (key, value) in fields {
                    for (path, item) in try pathlessTargets(key, value) {
                        try apply(operation.op, path, item, to: &state, pathless: true)
                    }
                }
            }
        }
        return Result(resource: state.resource, memberChanges: state.members, changesOtherAttributes: state.others)
    }

    private func applyExtension(_ op: PatchRequest.Op, _ ext: SCIMSchema, _ value: JSONValue?, to state: inout State)
        throws(SCIMError)
    {
        state.others = true
        switch op {
        case .remove:
            guard var root = state.resource.objectValue else { return }
            if let key = root.keys.first(where: { $0.caseInsensitiveEquals(ext.id) }) { root.removeValue(forKey: key) }
            if let schemas = root["schemas"]?.arrayValue {
                root["schemas"] = .array(schemas.filter { $0.stringValue?.caseInsensitiveEquals(ext.id) != true })
            }
            state.resource = .object(root)
        case .add, .replace:
            for (path, item) in try pathlessTargets(ext.id, value ?? .object([:])) {
                try apply(op, path, item, to: &state, pathless: true)
            }
        }
    }

    struct State {
        var resource: JSONValue
        var members = MemberChanges()
        var others = false
    }

    /// Path-less keys: an attribute, a dotted sub-attribute (`name.givenName`), a URN-qualified attribute, or an
    /// extension schema URN whose value is an object of its attributes.
    private func pathlessTargets(_ key: String, _ value: JSONValue) throws(SCIMError) -> [(AttributePath, JSONValue)] {
        if let ext = type.extensionSchema(urn: key) {
            guard case .object(let fields) = value else { throw SCIMError.invalidValue("\(key) takes an object.") }
            var out: [(AttributePath, JSONValue)] = []
            for (name, item) in fields where !["schemas", "meta", "id"].contains(where: { name.caseInsensitiveEquals($0) }) {
                out.append((try AttributePath(parsing: "\(ext.id):\(name)").resolved(against: type, errorType: .invalidPath), item))
            }
            return out
        }
        if ["schemas", "meta"].contains(where: { key.caseInsensitiveEquals($0) }) { return [] }
        return [(try AttributePath(parsing: key).resolved(against: type, errorType: .invalidPath), value)]
    }

    // MARK: One operation

    private func apply(
        _ op: PatchRequest.Op, _ path: AttributePath, _ value: JSONValue?, to state: inout State,
        pathless: Bool = false
    ) throws(SCIMError) {
        guard let (definition, _) = type.attribute(named: path.attribute, schemaURN: path.schemaURN) else {
            throw SCIMError.invalidPath("No attribute \(path).")
        }
        if definition.mutability == .readOnly {
            // Entra sends the current id back inside path-less values: harmless, ignored.
            if pathless, path.attribute.caseInsensitiveEquals("id"),
                value?.stringValue == state.resource["id"]?.stringValue
            {
                return
            }
            if pathless, path.attribute.caseInsensitiveEquals("id") || path.attribute.caseInsensitiveEquals("meta") { return }
            throw SCIMError.mutability("\(path.attribute) is read-only.")
        }
        if op != .remove, value == nil { throw SCIMError.invalidValue("\(op.rawValue) \(path) needs a value.") }
        if path.attribute.caseInsensitiveEquals("members"), path.schemaURN == nil, type.coreSchema.attribute(named: "members") != nil {
            try applyMembers(op, path, value, to: &state)
            return
        }
        state.others = true
        var container = containerValue(state.resource, path)
        let name = path.attribute
        let current = container[name]
        if definition.multiValued {
            container[name] = try multiValued(op, path, definition, current, value)
        } else if let sub = path.subAttribute {
            var object = current?.objectValue ?? [:]
            switch op {
            case .remove: object.removeValue(forKey: sub)
            case .add, .replace: object[sub] = value
            }
            container[name] = object.isEmpty ? nil : .object(object)
        } else {
            switch op {
            case .remove:
                container[name] = nil
            case .add, .replace:
                if definition.type == .complex, case .object(let incoming)? = value, op == .add || pathless,
                    case .object(var existing)? = current
                {
                    for (key, item) in incoming { existing[key] = item }
                    container[name] = .object(existing)
                } else {
                    container[name] = value
                }
            }
        }
        setContainer(&state.resource, path, container)
    }

    private func containerValue(_ resource: JSONValue, _ path: AttributePath) -> OrderedDictionary<String, JSONValue> {
        if let urn = path.schemaURN { return resource[urn]?.objectValue ?? [:] }
        return resource.objectValue ?? [:]
    }

    private func setContainer(_ resource: inout JSONValue, _ path: AttributePath, _ container: OrderedDictionary<String, JSONValue>) {
        guard var root = resource.objectValue else { return }
        let cleaned = container.filter { !$0.value.isNull }
        if let urn = path.schemaURN {
            root[urn] = cleaned.isEmpty ? nil : .object(cleaned)
            var schemas = root["schemas"]?.arrayValue ?? []
            if !cleaned.isEmpty, !schemas.contains(where: { $0.stringValue?.caseInsensitiveEquals(urn) == true }) {
                schemas.append(.string(urn))
                root["schemas"] = .array(schemas)
            }
        } else {
            root = cleaned
        }
        resource = .object(root)
    }

    private func multiValued(
        _ op: PatchRequest.Op, _ path: AttributePath, _ definition: SCIMAttribute, _ current: JSONValue?,
        _ value: JSONValue?
    ) throws(SCIMError) -> JSONValue? {
        var items = current?.arrayValue ?? []
        let incoming: [JSONValue] = value.map { $0.arrayValue ?? [$0] } ?? []
        guard let filter = path.valueFilter else {
            if let sub = path.subAttribute {
                // emails.value etc. without a filter: every value's sub-attribute.
                items = items.map { item in
                    var object = item.objectValue ?? [:]
                    if op == .remove { object.removeValue(forKey: sub) } else { object[sub] = value }
                    return .object(object)
                }
                return items.isEmpty ? nil : .array(items)
            }
            switch op {
            case .remove:
                guard let value else { return nil }
                // A value list removes exactly those values.
                let drop = (value.arrayValue ?? [value]).map { Self.identity($0) }
                items.removeAll { drop.contains(Self.identity($0)) }
            case .add:
                for item in incoming where !items.contains(where: { Self.identity($0) == Self.identity(item) }) {
                    items.append(item)
                }
            case .replace:
                items = incoming
            }
            return Self.singlePrimary(items)
        }
        let attributeType = type
        let matches = items.indices.filter { index in
            filter.matches(items[index], type: attributeType, within: path)
        }
        switch op {
        case .remove:
            if let sub = path.subAttribute {
                for index in matches {
                    var object = items[index].objectValue ?? [:]
                    object.removeValue(forKey: sub)
                    items[index] = .object(object)
                }
            } else {
                items = items.indices.filter { !matches.contains($0) }.map { items[$0] }
            }
        case .add, .replace:
            if matches.isEmpty {
                guard op == .add || !strictNoTarget else { throw SCIMError.noTarget("No value of \(path.attribute) matches the filter.") }
                // Entra ID: replace emails[type eq "work"].value with no work email adds one.
                var created = Self.equalities(in: filter)
                if let sub = path.subAttribute {
                    created[sub] = value
                } else if case .object(let fields)? = value {
                    for (key, item) in fields { created[key] = item }
                }
                items.append(.object(created))
            } else {
                for index in matches {
                    if let sub = path.subAttribute {
                        var object = items[index].objectValue ?? [:]
                        object[sub] = value
                        items[index] = .object(object)
                    } else if case .object(let fields)? = value {
                        var object = op == .replace ? OrderedDictionary<String, JSONValue>() : (items[index].objectValue ?? [:])
                        for (key, item) in fields { object[key] = item }
                        items[index] = .object(object)
                    }
                }
            }
        }
        return Self.singlePrimary(items)
    }

    // MARK: Members

    private func applyMembers(_ op: PatchRequest.Op, _ path: AttributePath, _ value: JSONValue?, to state: inout State)
        throws(SCIMError)
    {
        var root = state.resource.objectValue ?? [:]
        var list = root["members"]?.arrayValue ?? []
        let ids: [String] = (value.map { $0.arrayValue ?? [$0] } ?? []).compactMap { $0["value"]?.stringValue ?? $0.stringValue }
        switch op {
        case .add:
            guard path.valueFilter == nil, path.subAttribute == nil else {
                throw SCIMError.invalidPath("add members takes the path members and a list of members.")
            }
            for id in ids where !state.members.added.contains(id) {
                state.members.added.append(id)
                state.members.removed.removeAll { $0 == id }
                if !list.contains(where: { $0["value"]?.stringValue == id }) { list.append(.object(["value": .string(id)])) }
            }
        case .remove:
            var removing: [String] = []
            if let filter = path.valueFilter {
                if let id = Self.memberID(in: filter) {
                    removing = [id]
                } else {
                    removing = list.filter { filter.matches($0, type: type, within: path) }.compactMap { $0["value"]?.stringValue }
                }
            } else if value != nil {
                removing = ids  // Entra: remove exactly these members, never all
            } else {
                state.members = MemberChanges(added: [], removed: [], replacedAll: true)
                list = []
            }
            for id in removing {
                state.members.added.removeAll { $0 == id }
                if !state.members.removed.contains(id) { state.members.removed.append(id) }
            }
            list.removeAll { removing.contains($0["value"]?.stringValue ?? "") }
        case .replace:
            state.members = MemberChanges(added: ids, removed: [], replacedAll: true)
            list = ids.map { .object(["value": .string($0)]) }
        }
        root["members"] = list.isEmpty ? nil : .array(list)
        state.resource = .object(root)
    }

    /// `value eq "id"` (the only member filter that needs no member list).
    static func memberID(in filter: SCIMFilter) -> String? {
        if case .compare(let path, .eq, let value) = filter, path.attribute.caseInsensitiveEquals("value"), path.subAttribute == nil {
            return value.stringValue
        }
        return nil
    }

    /// `type eq "work" and primary eq true` → the sub-attributes a created value starts with.
    static func equalities(in filter: SCIMFilter) -> OrderedDictionary<String, JSONValue> {
        switch filter {
        case .compare(let path, .eq, let value): return [path.attribute: value]
        case .and(let l, let r):
            var out = equalities(in: l)
            for (key, value) in equalities(in: r) { out[key] = value }
            return out
        default: return [:]
        }
    }

    /// Values compare by their `value` sub-attribute when they have one.
    static func identity(_ item: JSONValue) -> JSONValue {
        if let value = item["value"] { return value }
        return item
    }

    /// Setting primary on one value clears it on the others (RFC 7643 §2.4): the last one set wins.
    static func singlePrimary(_ items: [JSONValue]) -> JSONValue? {
        guard !items.isEmpty else { return nil }
        guard let last = items.lastIndex(where: { $0["primary"]?.boolValue == true }) else { return .array(items) }
        return .array(
            items.enumerated().map { index, item in
                guard index != last, item["primary"]?.boolValue == true, var object = item.objectValue else { return item }
                object.removeValue(forKey: "primary")
                return .object(object)
            })
    }
}

extension SCIMFilter {
    /// Evaluates a value filter of a PATCH path against one value of the multi-valued attribute `path` names.
    func matches(_ item: JSONValue, type: ResolvedResourceType, within path: AttributePath) -> Bool {
        let wrapper = JSONValue.object([path.attribute: .array([item])])
        let scoped = SCIMFilter.valuePath(AttributePath(schemaURN: path.schemaURN, attribute: path.attribute), self)
        if let urn = path.schemaURN {
            return scoped.matches(.object([urn: wrapper, "schemas": .array([.string(urn)])]), type: type)
        }
        return scoped.matches(wrapper, type: type)
    }
}
