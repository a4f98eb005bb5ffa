import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// The endpoints of one resource type (/Users or /Groups), over any `ResourceStore`: each route authorizes, reads
/// the request, runs the operation's one pipeline (`ResourceOperations`) and renders the answer.
struct ResourceController<Store: ResourceStore> {
    let operations: ResourceOperations<Store>

    init(store: Store, type: ResolvedResourceType, configuration: SCIMServerConfiguration) {
        operations = ResourceOperations(store: store, type: type, configuration: configuration)
    }

    var type: ResolvedResourceType { operations.type }
    var configuration: SCIMServerConfiguration { operations.configuration }

    var endpoint: String { type.resourceType.endpoint.trimmingCharacters(in: ["/"]) }

    func register(on group: RouterGroup<SCIMRequestContext>) {
        group.post(RouterPath(endpoint)) { request, context in try await create(request, context) }
        group.get(RouterPath(endpoint)) { request, context in try await list(request, context) }
        group.post(RouterPath("\(endpoint)/.search")) { request, context in try await search(request, context) }
        group.get(RouterPath("\(endpoint)/:id")) { request, context in try await get(request, context) }
        group.put(RouterPath("\(endpoint)/:id")) { request, context in try await replace(request, context) }
        group.patch(RouterPath("\(endpoint)/:id")) { request, context in try await patch(request, context) }
        group.delete(RouterPath("\(endpoint)/:id")) { request, context in try await delete(request, context) }
    }

    private func projection(_ request: Request) throws -> Projection {
        let query = request.scimQuery
        let projection = Projection(attributes: query["attributes"], excludedAttributes: query["excludedAttributes"])
        try projection.validate(against: type)
        return projection
    }

    var typeName: String { type.resourceType.name }

    /// Runs a write and records it in the audit stream, success or failure.
    func audited(
        _ operation: String, _ context: SCIMRequestContext, id: String?,
        _ body: () async throws -> (Response, String?)
    ) async throws -> Response {
        do {
            let (response, createdID) = try await body()
            configuration.audit.record(
                .init(
                    requestID: context.requestID, client: context.clientName,
                    actingUser: context.actingUserID, operation: operation, resourceType: typeName,
                    resourceID: id ?? createdID, status: Int(response.status.code)))
            return response
        } catch {
            let scim = error as? SCIMError
            configuration.audit.record(
                .init(
                    requestID: context.requestID, client: context.clientName,
                    actingUser: context.actingUserID, operation: operation, resourceType: typeName,
                    resourceID: id, status: scim?.status ?? 500, scimType: scim?.scimType?.rawValue))
            throw error
        }
    }

    func create(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.create, type: typeName)
        return try await audited("create", context, id: nil) {
            let response = try await createUnaudited(request, context)
            return (response, response.headers[.location].map { String($0.split(separator: "/").last ?? "") })
        }
    }

    private func createUnaudited(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        let projection = try projection(request)
        let body = try await SCIMBody.read(request, context: context, configuration: configuration)
        let stored = try await operations.create(body, context)
        var headers: HTTPFields = [.eTag: stored.etag]
        if let location = stored.resource["meta"]?["location"]?.stringValue { headers[.location] = location }
        return SCIMResponse.json(projection.apply(to: stored.resource, type: type), status: .created, headers: headers)
    }

    func list(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.read, type: typeName)
        let search = try SearchRequest(query: request.scimQuery, filterLimits: configuration.filterLimits)
        return try await respond(to: search, context)
    }

    func search(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.read, type: typeName)
        let body = try await SCIMBody.read(request, context: context, configuration: configuration)
        let search = try SearchRequest(json: body, filterLimits: configuration.filterLimits)
        return try await respond(to: search, context)
    }

    private func respond(to search: SearchRequest, _ context: SCIMRequestContext) async throws -> Response {
        let (page, resolved) = try await operations.search(search, context)
        let resources = page.resources.map { resolved.projection.apply(to: $0.resource, type: type) }
        let list = ListResponse(
            resources: resources, totalResults: page.totalResults, startIndex: page.startIndex,
            itemsPerPage: resources.count)
        return SCIMResponse.json(list.json)
    }

    func replace(_ request: Request, _ context: SCIMRequestContext, id override: String? = nil) async throws -> Response {
        let id = try override ?? context.parameters.require("id")
        try context.policy.authorize(.update, type: typeName)
        return try await audited("replace", context, id: id) {
            let projection = try projection(request)
            let version = try Self.singleVersion(request.headers[.ifMatch])
            let body = try await SCIMBody.read(request, context: context, configuration: configuration)
            let stored = try await operations.replace(id: id, with: body, ifMatch: version, context)
            return (SCIMResponse.json(projection.apply(to: stored.resource, type: type), headers: [.eTag: stored.etag]), id)
        }
    }

    func patch(_ request: Request, _ context: SCIMRequestContext, id override: String? = nil) async throws -> Response {
        let id = try override ?? context.parameters.require("id")
        try context.policy.authorize(.update, type: typeName)
        return try await audited("patch", context, id: id) {
            let projection = try projection(request)
            let version = try Self.singleVersion(request.headers[.ifMatch])
            let body = try await SCIMBody.read(request, context: context, configuration: configuration)
            let stored = try await operations.patch(id: id, body: body, projection: projection, ifMatch: version, context)
            return (SCIMResponse.json(projection.apply(to: stored.resource, type: type), headers: [.eTag: stored.etag]), id)
        }
    }

    /// The one version an If-Match names (nil for none or `*`).
    static func singleVersion(_ header: String?) throws -> String? {
        guard let versions = ETagHeaders.versions(header) else { return nil }
        guard versions.count == 1 else { throw SCIMError.preconditionFailed("Send one version in If-Match.") }
        return versions[0] == "*" ? nil : versions[0]
    }

    func get(_ request: Request, _ context: SCIMRequestContext, id override: String? = nil) async throws -> Response {
        let id = try override ?? context.parameters.require("id")
        try context.policy.authorize(.read, type: typeName)
        let projection = try projection(request)
        let stored = try await operations.get(id: id, projection: projection, context)
        if let wanted = ETagHeaders.versions(request.headers[.ifNoneMatch]),
            wanted.contains("*") || wanted.contains(stored.version)
        {
            return Response(status: .notModified, headers: [.eTag: stored.etag])
        }
        return SCIMResponse.json(projection.apply(to: stored.resource, type: type), headers: [.eTag: stored.etag])
    }

    func delete(_ request: Request, _ context: SCIMRequestContext, id override: String? = nil) async throws -> Response {
        let id = try override ?? context.parameters.require("id")
        try context.policy.authorize(.delete, type: typeName)
        return try await audited("delete", context, id: id) {
            let version = try Self.singleVersion(request.headers[.ifMatch])
            try await operations.delete(id: id, ifMatch: version, context)
            return (Response(status: .noContent), id)
        }
    }
}
