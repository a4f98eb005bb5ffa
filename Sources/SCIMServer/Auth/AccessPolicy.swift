import OrderedCollections
import SCIMCore

/// What one client may do: resource types, operations and attributes it may not write. A forbidden operation is
/// 403. (Where a client reaches in the backend, such as an LDAP subtree, is the backend's configuration.)
public struct AccessPolicy: Sendable {
    public enum Operation: String, Sendable, CaseIterable, Codable {
        case read, create, update, delete, bulk
    }

    /// Lower-cased resource type names; nil allows every type.
    public var resourceTypes: Set<String>?
    public var operations: Set<Operation>
    /// SCIM attributes the client may not write, lower-cased (`password`, `emails`, `name.givenname`,
    /// `urn:...:user:manager`).
    public var readOnlyAttributes: Set<String>

    public init(
        resourceTypes: Set<String>? = nil, operations: Set<Operation> = Set(Operation.allCases),
        readOnlyAttributes: Set<String> = []
    ) {
        self.resourceTypes = resourceTypes.map { Set($0.map { $0.lowercased() }) }
        self.operations = operations
        self.readOnlyAttributes = Set(readOnlyAttributes.map { $0.lowercased() })
    }

    public static let unrestricted = AccessPolicy()

    /// 403 unless the client may run `operation` on `type`.
    public func authorize(_ operation: Operation, type: String?) throws(SCIMError) {
        guard operations.contains(operation) else {
            throw SCIMError.forbidden("This client may not \(operation.rawValue)\(type.map { " \($0) resources" } ?? "").")
        }
        if let type, let allowed = resourceTypes, !allowed.contains(type.lowercased()) {
            throw SCIMError.forbidden("This client may not use \(type) resources.")
        }
    }

    /// 403 when a resource body (POST, PUT) carries an attribute the client may not write.
    public func checkWritable(_ resource: JSONValue, type: ResolvedResourceType) throws(SCIMError) {
        guard !readOnlyAttributes.isEmpty, case .object(let members) = resource else { return }
        for (key, value) in members {
            if let ext = type.extensionSchema(urn: key), case .object(let inner) = value {
                for name in inner.keys { try check(ext.id + ":" + name) }
            } else {
                try check(key)
                if case .object(let inner) = value { for sub in inner.keys { try check(key + "." + sub) } }
            }
        }
    }

    /// 403 when a PATCH operation targets an attribute the client may not write.
    public func checkWritable(_ patch: PatchRequest, type: ResolvedResourceType) throws(SCIMError) {
        guard !readOnlyAttributes.isEmpty else { return }
        for operation in patch.operations {
            if let path = operation.path {
                let top = (path.schemaURN.flatMap { $0.caseInsensitiveEquals(type.coreSchema.id) ? nil : $0 + ":" } ?? "") + path.attribute
                try check(top)
                if let sub = path.subAttribute { try check(top + "." + sub) }
            } else if let value = operation.value {
                try checkWritable(value, type: type)
                // Entra's dotted and URN-qualified keys inside a path-less value.
                if case .object(let members) = value {
                    for key in members.keys { try check(key) }
                }
            }
        }
    }

    private func check(_ name: String) throws(SCIMError) {
        let lower = name.lowercased()
        // `name` covers name.givenName; urn:...:User:manager covers manager.value (the URN itself holds dots).
        var urnPrefix = ""
        var local = lower
        if lower.hasPrefix("urn:"), let colon = lower.lastIndex(of: ":") {
            urnPrefix = String(lower[...colon])
            local = String(lower[lower.index(after: colon)...])
        }
        let top = urnPrefix + (local.split(separator: ".", maxSplits: 1).first.map(String.init) ?? local)
        if readOnlyAttributes.contains(lower) || readOnlyAttributes.contains(top) {
            throw SCIMError.forbidden("This client may not write \(name).")
        }
    }
}
