import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// The endpoints of one resource type (/Users or /Groups), over any `ResourceStore`.
struct ResourceController<Store: ResourceStore> {
    let store: Store
    let type: ResolvedResourceType
    let configuration: SCIMServerConfiguration

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
    func audited(_ operation: String, _ context: SCIMRequestContext, id: String?,
                 _ body: () async throws -> (Response, String?)) async throws -> Response {
        do {
            let (response, createdID) = try await body()
            configuration.audit.record(.init(requestID: context.requestID, client: context.clientName,
                                             actingUser: context.actingUserID, operation: operation, resourceType: typeName,
                                             resourceID: id ?? createdID, status: Int(response.status.code)))
            return response
        } catch {
            let scim = error as? SCIMError
            configuration.audit.record(.init(requestID: context.requestID, client: context.clientName,
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
        try context.policy.checkWritable(body, type: type)
        let resource = try ResourceValidator(type: type).validate(body)
        let stored = try await store.create(resource, type: type)
        var headers: HTTPFields = [.eTag: stored.etag]
        if let location = stored.resource["meta"]?["location"]?.stringValue { headers[.location] = location }
        context.logger.info("created", metadata: ["resourceType": "\(type.resourceType.name)", "id": "\(stored.id ?? "")"])
        return SCIMResponse.json(projection.apply(to: stored.resource, type: type), status: .created, headers: headers)
    }

    func list(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.read, type: typeName)
        let search = try SearchRequest(query: request.scimQuery, filterLimits: configuration.filterLimits)
        return try await respond(to: search)
    }

    func search(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        try context.policy.authorize(.read, type: typeName)
        let body = try await SCIMBody.read(request, context: context, configuration: configuration)
        let search = try SearchRequest(json: body, filterLimits: configuration.filterLimits)
        return try await respond(to: search)
    }

    private func respond(to search: SearchRequest) async throws -> Response {
        var resolved = try search.resolved(against: type)
        try resolved.projection.validate(against: type)
        resolved.count = min(resolved.count ?? configuration.defaultPageSize, configuration.maxPageSize)
        let page = try await store.search(resolved, type: type)
        let resources = page.resources.map { resolved.projection.apply(to: $0.resource, type: type) }
        let list = ListResponse(resources: resources, totalResults: page.totalResults, startIndex: page.startIndex,
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
            if let sentID = body["id"]?.stringValue, sentID != id {
                throw SCIMError.mutability("The id in the body does not match the URL.")
            }
            try context.policy.checkWritable(body, type: type)
            let resource = try ResourceValidator(type: type).validate(body)
            let stored = try await store.replace(id: id, with: resource, type: type, ifMatch: version)
            context.logger.info("replaced", metadata: ["resourceType": "\(typeName)", "id": "\(id)"])
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
            var patch = try PatchRequest(json: body, filterLimits: configuration.filterLimits)
            patch.strictNoTarget = context.strictNoTarget
            try context.policy.checkWritable(patch, type: type)
            let stored = try await store.patch(id: id, request: patch, type: type, projection: projection, ifMatch: version)
            context.logger.info("patched", metadata: ["resourceType": "\(typeName)", "id": "\(id)"])
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
        let stored = try await store.get(id: id, type: type, projection: projection)
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
            try await store.delete(id: id, type: type, ifMatch: version)
            context.logger.info("deleted", metadata: ["resourceType": "\(typeName)", "id": "\(id)"])
            return (Response(status: .noContent), id)
        }
    }
}
