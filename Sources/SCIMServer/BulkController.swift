import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// POST /Bulk (RFC 7644 §3.7): operations in order, `bulkId:` references substituted wherever an id may stand,
/// forward references resolved by running an operation once its targets exist, and circular references between
/// groups resolved as §3.7.1 asks (create without the unresolved members, then add them).
struct BulkController<Store: ResourceStore> {
    let store: Store
    let types: [ResolvedResourceType]
    let configuration: SCIMServerConfiguration

    func register(on group: RouterGroup<SCIMRequestContext>) {
        group.post("Bulk") { request, context in try await bulk(request, context) }
    }

    struct Operation {
        var index: Int
        var method: String
        var bulkID: String?
        var version: String?
        var path: String
        var data: JSONValue?
    }

    func bulk(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.bulk, type: nil)
        configuration.metrics.recordBulkRequest()
        var limits = configuration
        limits.maxBodyBytes = configuration.bulkMaxPayloadBytes
        let body = try await SCIMBody.read(request, context: context, configuration: limits)
        guard body["schemas"]?.arrayValue?.contains(where: { $0.stringValue == SCIMURN.bulkRequest }) == true else {
            throw SCIMError.invalidSyntax("A bulk request names \(SCIMURN.bulkRequest) in schemas.")
        }
        guard let raw = body["Operations"]?.arrayValue else { throw SCIMError.invalidSyntax("Operations is required.") }
        guard raw.count <= configuration.bulkMaxOperations else {
            throw SCIMError(
                status: 413, scimType: .tooMany,
                detail: "A bulk request holds at most \(configuration.bulkMaxOperations) operations.")
        }
        let failOnErrors = body["failOnErrors"]?.int64Value.map { max(1, Int($0)) }
        var operations: [Operation] = []
        var declared: Set<String> = []
        for (index, item) in raw.enumerated() {
            guard let method = item["method"]?.stringValue?.uppercased(), let path = item["path"]?.stringValue else {
                throw SCIMError.invalidSyntax("Operation \(index + 1) needs method and path.")
            }
            let bulkID = item["bulkId"]?.stringValue
            if method == "POST" {
                guard let bulkID, !bulkID.isEmpty else { throw SCIMError.invalidSyntax("Operation \(index + 1): POST needs a bulkId.") }
                guard declared.insert(bulkID).inserted else { throw SCIMError.invalidSyntax("bulkId \(bulkID) is used twice.") }
            }
            operations.append(
                Operation(
                    index: index, method: method, bulkID: bulkID, version: item["version"]?.stringValue,
                    path: path, data: item["data"]))
        }

        var ids: [String: String] = [:]  // bulkId → created id
        var results: [Int: JSONValue] = [:]
        var errors = 0
        var deferredMembers: [(groupID: String, type: ResolvedResourceType, bulkIDs: [String], index: Int)] = []
        var queue = operations
        var progress = true
        while !queue.isEmpty && progress && failOnErrors.map({ errors < $0 }) ?? true {
            progress = false
            var waiting: [Operation] = []
            for operation in queue {
                if let limit = failOnErrors, errors >= limit { break }
                let unresolved = Self.bulkReferences(in: operation.data).subtracting(ids.keys)
                let resolvable = unresolved.isSubset(of: declared) && !unresolved.isEmpty
                var data = operation.data.map { Self.substitute($0, ids) }
                var postponeMembers: [String] = []
                if resolvable {
                    // Only group members may wait (circular references); anything else runs once its targets exist.
                    if operation.method == "POST", let members = data?["members"]?.arrayValue,
                        Self.bulkReferences(in: data.map { Self.removingMembers($0) }).isEmpty
                    {
                        postponeMembers = members.compactMap { Self.bulkID(in: $0["value"]) }
                        data = data.map { Self.keepingMembers($0) { Self.bulkID(in: $0["value"]) == nil } }
                    } else {
                        waiting.append(operation)
                        continue
                    }
                } else if !unresolved.isEmpty {
                    results[operation.index] = Self.result(
                        operation,
                        error: .conflict(
                            "Operation refers to bulkId \(unresolved.sorted().joined(separator: ", ")) that no POST in this request defines."),
                        scimType: .invalidValue)
                    errors += 1
                    progress = true
                    continue
                }
                progress = true
                do {
                    let (status, stored, type) = try await audited(operation, context) { try await execute(operation, data: data, context) }
                    if let bulkID = operation.bulkID, let id = stored?.id { ids[bulkID] = id }
                    if !postponeMembers.isEmpty, let id = stored?.id, let type {
                        deferredMembers.append((id, type, postponeMembers, operation.index))
                    }
                    results[operation.index] = Self.result(operation, status: status, stored: stored)
                } catch let error as SCIMError {
                    results[operation.index] = Self.result(operation, error: error, scimType: error.scimType)
                    errors += 1
                }
            }
            queue = waiting
        }
        for operation in queue where results[operation.index] == nil && failOnErrors.map({ errors < $0 }) ?? true {
            results[operation.index] = Self.result(
                operation, error: .conflict("Circular bulkId references that cannot be resolved."),
                scimType: .invalidValue)
            errors += 1
        }
        for deferred in deferredMembers {
            let members = deferred.bulkIDs.compactMap { ids[$0] }
            do {
                let patch = PatchRequest(operations: [
                    .init(
                        op: .add, path: try AttributePath(parsing: "members"),
                        value: .array(members.map { .object(["value": .string($0)]) }))
                ])
                let stored = try await ResourceOperations(store: store, type: deferred.type, configuration: configuration)
                    .patch(
                        id: deferred.groupID, request: patch, projection: Projection(excludedAttributes: ["members"]),
                        ifMatch: nil, context)
                if case .object(var object)? = results[deferred.index] {
                    object["version"] = .string(stored.etag)
                    results[deferred.index] = .object(object)
                }
            } catch let error as SCIMError {
                results[deferred.index] = Self.result(operations[deferred.index], error: error, scimType: error.scimType)
                errors += 1
            }
        }
        let response: OrderedDictionary<String, JSONValue> = [
            "schemas": .array([.string(SCIMURN.bulkResponse)]),
            "Operations": .array(results.keys.sorted().compactMap { results[$0] }),
        ]
        return SCIMResponse.json(.object(response))
    }

    /// Runs one operation through `body` and records it in the audit stream and the bulk metrics, success or failure.
    private func audited(
        _ operation: Operation, _ context: SCIMRequestContext,
        _ body: () async throws -> (Int, StoredResource?, ResolvedResourceType?)
    ) async throws
        -> (Int, StoredResource?, ResolvedResourceType?)
    {
        let parts = operation.path.split(separator: "/").map(String.init)
        func record(_ status: Int, _ id: String?, _ scimType: String?) {
            configuration.metrics.recordBulkOperation(method: operation.method, status: status)
            configuration.audit.record(
                .init(
                    requestID: context.requestID, client: context.clientName, actingUser: context.actingUserID,
                    operation: "bulk.\(operation.method.lowercased())", resourceType: parts.first, resourceID: id, status: status,
                    scimType: scimType, bulkIndex: operation.index + 1))
        }
        do {
            let result = try await body()
            record(result.0, result.1?.id ?? (parts.count > 1 ? parts[1] : nil), nil)
            return result
        } catch {
            let scim = error as? SCIMError
            record(scim?.status ?? 500, parts.count > 1 ? parts[1] : nil, scim?.scimType?.rawValue)
            throw error
        }
    }

    /// Runs one operation; returns its HTTP status and the resource as stored. Each is checked against the
    /// client's access policy on its own.
    private func execute(_ operation: Operation, data: JSONValue?, _ context: SCIMRequestContext) async throws
        -> (Int, StoredResource?, ResolvedResourceType?)
    {
        let parts = operation.path.split(separator: "/").map(String.init)
        guard let endpoint = parts.first,
            let type = types.first(where: { $0.resourceType.endpoint.trimmingCharacters(in: ["/"]).caseInsensitiveEquals(endpoint) })
        else { throw SCIMError.invalidPath("Unknown path \(operation.path).") }
        let version = ETagHeaders.versions(operation.version)?.first.flatMap { $0 == "*" ? nil : $0 }
        let name = type.resourceType.name
        // The same pipeline as the type's own routes.
        let operations = ResourceOperations(store: store, type: type, configuration: configuration)
        switch (operation.method, parts.count) {
        case ("POST", 1):
            try context.policy.authorize(.create, type: name)
            return (201, try await operations.create(data ?? .null, context), type)
        case ("PUT", 2):
            try context.policy.authorize(.update, type: name)
            return (200, try await operations.replace(id: parts[1], with: data ?? .null, ifMatch: version, context), type)
        case ("PATCH", 2):
            try context.policy.authorize(.update, type: name)
            return (200, try await operations.patch(id: parts[1], body: data ?? .null, projection: .all, ifMatch: version, context), type)
        case ("DELETE", 2):
            try context.policy.authorize(.delete, type: name)
            try await operations.delete(id: parts[1], ifMatch: version, context)
            return (204, nil, type)
        default:
            throw SCIMError.invalidSyntax("Unsupported bulk operation \(operation.method) \(operation.path).")
        }
    }

    static func result(_ operation: Operation, status: Int, stored: StoredResource?) -> JSONValue {
        var object: OrderedDictionary<String, JSONValue> = ["method": .string(operation.method)]
        if let bulkID = operation.bulkID { object["bulkId"] = .string(bulkID) }
        if let stored {
            if let location = stored.resource["meta"]?["location"]?.stringValue { object["location"] = .string(location) }
            object["version"] = .string(stored.etag)
        } else if operation.method == "DELETE" {
            object["location"] = .string(operation.path)
        }
        object["status"] = .string(String(status))
        return .object(object)
    }

    static func result(_ operation: Operation, error: SCIMError, scimType: SCIMErrorType?) -> JSONValue {
        var object: OrderedDictionary<String, JSONValue> = ["method": .string(operation.method)]
        if let bulkID = operation.bulkID { object["bulkId"] = .string(bulkID) }
        var body = SCIMError(status: error.status, scimType: scimType, detail: error.detail).body
        if case .object(var fields) = body { fields.removeValue(forKey: "schemas"); body = .object(fields) }
        object["status"] = .string(String(error.status))
        object["response"] = body
        return .object(object)
    }

    // MARK: bulkId references

    static func bulkID(in value: JSONValue?) -> String? {
        guard let text = value?.stringValue, text.hasPrefix("bulkId:") else { return nil }
        return String(text.dropFirst("bulkId:".count))
    }

    static func bulkReferences(in value: JSONValue?) -> Set<String> {
        guard let value else { return [] }
        switch value {
        case .string: return bulkID(in: value).map { [$0] } ?? []
        case .array(let items): return items.reduce(into: []) { $0.formUnion(bulkReferences(in: $1)) }
        case .object(let fields): return fields.values.reduce(into: []) { $0.formUnion(bulkReferences(in: $1)) }
        default: return []
        }
    }

    static func substitute(_ value: JSONValue, _ ids: [String: String]) -> JSONValue {
        switch value {
        case .string: return bulkID(in: value).flatMap { ids[$0] }.map { .string($0) } ?? value
        case .array(let items): return .array(items.map { substitute($0, ids) })
        case .object(let fields): return .object(fields.mapValues { substitute($0, ids) })
        default: return value
        }
    }

    static func removingMembers(_ value: JSONValue) -> JSONValue {
        guard case .object(var fields) = value else { return value }
        if let key = fields.keys.first(where: { $0.caseInsensitiveEquals("members") }) { fields.removeValue(forKey: key) }
        return .object(fields)
    }

    static func keepingMembers(_ value: JSONValue, where keep: (JSONValue) -> Bool) -> JSONValue {
        guard case .object(var fields) = value,
            let key = fields.keys.first(where: { $0.caseInsensitiveEquals("members") }),
            let members = fields[key]?.arrayValue
        else { return value }
        fields[key] = .array(members.filter(keep))
        return .object(fields)
    }
}
