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
        group.get(RouterPath("\(endpoint)/:id")) { request, context in try await get(request, context) }
        group.delete(RouterPath("\(endpoint)/:id")) { request, context in try await delete(request, context) }
    }

    private func projection(_ request: Request) throws -> Projection {
        let projection = Projection(attributes: request.uri.queryParameters.get("attributes"),
                                    excludedAttributes: request.uri.queryParameters.get("excludedAttributes"))
        try projection.validate(against: type)
        return projection
    }

    func create(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        let projection = try projection(request)
        let body = try await SCIMBody.read(request, context: context, configuration: configuration)
        let resource = try ResourceValidator(type: type).validate(body)
        let stored = try await store.create(resource, type: type)
        var headers: HTTPFields = [.eTag: stored.etag]
        if let location = stored.resource["meta"]?["location"]?.stringValue { headers[.location] = location }
        context.logger.info("created", metadata: ["resourceType": "\(type.resourceType.name)", "id": "\(stored.id ?? "")"])
        return SCIMResponse.json(projection.apply(to: stored.resource, type: type), status: .created, headers: headers)
    }

    func get(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let projection = try projection(request)
        let stored = try await store.get(id: id, type: type, projection: projection)
        if let wanted = ETagHeaders.versions(request.headers[.ifNoneMatch]),
           wanted.contains("*") || wanted.contains(stored.version)
        {
            return Response(status: .notModified, headers: [.eTag: stored.etag])
        }
        return SCIMResponse.json(projection.apply(to: stored.resource, type: type), headers: [.eTag: stored.etag])
    }

    func delete(_ request: Request, _ context: SCIMRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let ifMatch = ETagHeaders.versions(request.headers[.ifMatch])
        if let ifMatch, ifMatch.count > 1 {
            throw SCIMError.preconditionFailed("Send one version in If-Match.")
        }
        let version = ifMatch?.first.flatMap { $0 == "*" ? nil : $0 }
        try await store.delete(id: id, type: type, ifMatch: version)
        context.logger.info("deleted", metadata: ["resourceType": "\(type.resourceType.name)", "id": "\(id)"])
        return Response(status: .noContent)
    }
}
