import Foundation
import OrderedCollections
import SCIMCore

/// A `ResourceStore` held in memory, for tests of the HTTP layer that need no directory: routes, status codes,
/// headers, projection and error rendering. It is deliberately plain (filters evaluated in memory, every list
/// sorted and sliced here); what SCIM behaviour the gateway promises over LDAP is tested against a real slapd.
///
/// Versions are a counter per store, so an ETag changes with every write; attributes with `uniqueness: server`
/// in the core schema (User's `userName`) are unique ignoring case, as the bundled directory makes them.
public actor InMemoryResourceStore: ResourceStore {
    private var resources: [String: OrderedDictionary<String, StoredResource>] = [:]
    private var nextVersion = 1
    private let baseURL: String
    private let clock: @Sendable () -> Date
    /// Set to make `ping` fail, as a directory that went away would.
    public var isDown = false
    /// The context of every call, in order (for assertions about what the HTTP layer hands the store).
    public private(set) var contexts: [StoreContext] = []

    public init(baseURL: String = "https://scim.example.test/scim/v2", clock: @escaping @Sendable () -> Date = Date.init) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.clock = clock
    }

    public func setDown(_ down: Bool) { isDown = down }

    /// Every resource of a type, in creation order (for assertions).
    public func all(_ typeName: String) -> [StoredResource] { Array(resources[typeName, default: [:]].values) }

    public func create(_ resource: JSONValue, type: ResolvedResourceType, context: StoreContext) async throws
        -> StoredResource
    {
        contexts.append(context)
        try checkUniqueness(resource, type: type, except: nil)
        let id = UUID().uuidString.lowercased()
        let now = SCIMDateTime.format(clock())
        let stored = stamp(resource, id: id, type: type, created: now, lastModified: now)
        resources[type.resourceType.name, default: [:]][id] = stored
        return stored
    }

    public func get(id: String, type: ResolvedResourceType, projection: Projection, context: StoreContext) async throws
        -> StoredResource
    {
        contexts.append(context)
        return try current(id, type)
    }

    public func replace(
        id: String, with resource: JSONValue, type: ResolvedResourceType, ifMatch: String?,
        context: StoreContext
    ) async throws -> StoredResource {
        contexts.append(context)
        let old = try current(id, type, ifMatch: ifMatch)
        try checkUniqueness(resource, type: type, except: id)
        let created = old.resource["meta"]?["created"]?.stringValue ?? SCIMDateTime.format(clock())
        let stored = stamp(resource, id: id, type: type, created: created, lastModified: SCIMDateTime.format(clock()))
        resources[type.resourceType.name]?[id] = stored
        return stored
    }

    public func patch(
        id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection,
        ifMatch: String?, validator: ResourceValidator, context: StoreContext
    ) async throws -> StoredResource {
        contexts.append(context)
        let old = try current(id, type, ifMatch: ifMatch)
        let applied = try PatchApplier(type: type, strictNoTarget: request.strictNoTarget).apply(request, to: old.resource)
        let validated = try validator.validate(applied.resource)
        return try await replace(id: id, with: validated, type: type, ifMatch: nil, context: context)
    }

    public func search(_ request: SearchRequest, type: ResolvedResourceType, context: StoreContext) async throws
        -> ResourcePage
    {
        contexts.append(context)
        var matching = resources[type.resourceType.name, default: [:]].values.filter { stored in
            request.filter.map { $0.matches(stored.resource, type: type) } ?? true
        }
        if let sortBy = request.sortBy {
            let descending = request.sortOrder == .descending
            matching.sort { left, right in
                let a = Self.sortKey(left.resource, sortBy), b = Self.sortKey(right.resource, sortBy)
                return descending ? a > b : a < b
            }
        }
        let start = min(request.startIndex - 1, matching.count)
        let end = request.count.map { min(matching.count, start + $0) } ?? matching.count
        return ResourcePage(resources: Array(matching[start..<end]), totalResults: matching.count, startIndex: request.startIndex)
    }

    public func delete(id: String, type: ResolvedResourceType, ifMatch: String?, context: StoreContext) async throws {
        contexts.append(context)
        _ = try current(id, type, ifMatch: ifMatch)
        resources[type.resourceType.name]?[id] = nil
    }

    public func ping(context: StoreContext) async throws {
        contexts.append(context)
        if isDown { throw SCIMError.unavailable() }
    }

    // MARK: Helpers

    private func current(_ id: String, _ type: ResolvedResourceType, ifMatch: String? = nil) throws(SCIMError) -> StoredResource {
        guard let stored = resources[type.resourceType.name]?[id] else { throw SCIMError.notFound() }
        if let ifMatch, ifMatch != stored.version { throw SCIMError.preconditionFailed() }
        return stored
    }

    private func stamp(_ resource: JSONValue, id: String, type: ResolvedResourceType, created: String, lastModified: String)
        -> StoredResource
    {
        let version = String(nextVersion)
        nextVersion += 1
        var members = resource.objectValue ?? [:]
        members["id"] = .string(id)
        let endpoint = type.resourceType.endpoint.hasPrefix("/") ? type.resourceType.endpoint : "/" + type.resourceType.endpoint
        members["meta"] = [
            "resourceType": .string(type.resourceType.name), "created": .string(created),
            "lastModified": .string(lastModified), "location": .string("\(baseURL)\(endpoint)/\(id)"),
            "version": .string("W/\"\(version)\""),
        ]
        return StoredResource(resource: .object(members), version: version)
    }

    private func checkUniqueness(_ resource: JSONValue, type: ResolvedResourceType, except id: String?) throws(SCIMError) {
        for attribute in type.coreSchema.attributes where attribute.uniqueness != .none && !attribute.isComplex {
            guard let value = resource[attribute.name]?.stringValue else { continue }
            let taken = resources[type.resourceType.name, default: [:]].values.contains { other in
                other.id != id && other.resource[attribute.name]?.stringValue?.caseInsensitiveEquals(value) == true
            }
            if taken { throw SCIMError.conflict("\(attribute.name) \"\(value)\" is already taken.") }
        }
    }

    private static func sortKey(_ resource: JSONValue, _ path: AttributePath) -> String {
        var value = resource[path.attribute]
        if let sub = path.subAttribute { value = value?.arrayValue?.first?[sub] ?? value?[sub] }
        return value?.stringValue?.lowercased() ?? ""
    }
}
