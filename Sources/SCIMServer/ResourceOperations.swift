import Foundation
import Hummingbird
import Logging
import SCIMCore

/// The steps of each operation on one resource type, in one place for every entry point — the type's routes,
/// /Me (through those routes) and each operation of a bulk request: what the client may write, validation, the
/// store, the log line. Authorization stays with the entry point (it decides what is audited); rendering
/// (projection, ETag, Location, status) is the HTTP layer's.
struct ResourceOperations<Store: ResourceStore>: Sendable {
    let store: Store
    let type: ResolvedResourceType
    let configuration: SCIMServerConfiguration

    var typeName: String { type.resourceType.name }

    /// The one validator of this type's representations: POST and PUT bodies here, patched representations in
    /// the store (which alone holds the current one).
    var validator: ResourceValidator { ResourceValidator(type: type) }

    /// POST: a new resource from a client's representation.
    func create(_ body: JSONValue, _ context: SCIMRequestContext) async throws -> StoredResource {
        try context.policy.checkWritable(body, type: type)
        let resource = try validator.validate(body)
        let stored = try await store.create(resource, type: type, context: context.storeContext)
        context.logger.info("created", metadata: ["resourceType": "\(typeName)", "id": "\(stored.id ?? "")"])
        return stored
    }

    /// PUT: the resource `id` replaced by a client's representation; `ifMatch` is the version the client expects.
    func replace(id: String, with body: JSONValue, ifMatch: String?, _ context: SCIMRequestContext) async throws
        -> StoredResource
    {
        if let sentID = body["id"]?.stringValue, sentID != id {
            throw SCIMError.mutability("The id in the body does not match the URL.")
        }
        try context.policy.checkWritable(body, type: type)
        let resource = try validator.validate(body)
        let stored = try await store.replace(id: id, with: resource, type: type, ifMatch: ifMatch, context: context.storeContext)
        context.logger.info("replaced", metadata: ["resourceType": "\(typeName)", "id": "\(id)"])
        return stored
    }

    /// PATCH: a client's PatchOp body applied to the resource `id`; `projection` is what the answer will show (a
    /// backend may skip reading what it excludes).
    func patch(id: String, body: JSONValue, projection: Projection, ifMatch: String?, _ context: SCIMRequestContext)
        async throws -> StoredResource
    {
        var patch = try PatchRequest(json: body, filterLimits: configuration.filterLimits)
        patch.strictNoTarget = context.strictNoTarget
        return try await self.patch(id: id, request: patch, projection: projection, ifMatch: ifMatch, context)
    }

    /// PATCH with a request already read (bulk's deferred member additions); the patched representation is
    /// validated with `validator` by the store.
    func patch(id: String, request patch: PatchRequest, projection: Projection, ifMatch: String?, _ context: SCIMRequestContext)
        async throws -> StoredResource
    {
        try context.policy.checkWritable(patch, type: type)
        let stored = try await store.patch(
            id: id, request: patch, type: type, projection: projection, ifMatch: ifMatch,
            validator: validator, context: context.storeContext)
        context.logger.info("patched", metadata: ["resourceType": "\(typeName)", "id": "\(id)"])
        return stored
    }

    /// DELETE of the resource `id`.
    func delete(id: String, ifMatch: String?, _ context: SCIMRequestContext) async throws {
        try await store.delete(id: id, type: type, ifMatch: ifMatch, context: context.storeContext)
        context.logger.info("deleted", metadata: ["resourceType": "\(typeName)", "id": "\(id)"])
    }

    /// GET of the resource `id`.
    func get(id: String, projection: Projection, _ context: SCIMRequestContext) async throws -> StoredResource {
        try await store.get(id: id, type: type, projection: projection, context: context.storeContext)
    }

    /// A list or `.search` of this type: resolved against the type, its projection checked, its page limited.
    /// Returns the page and the request as resolved (whose projection the answer applies).
    func search(_ search: SearchRequest, _ context: SCIMRequestContext) async throws
        -> (page: ResourcePage, resolved: SearchRequest)
    {
        var resolved = try search.resolved(against: type)
        try resolved.projection.validate(against: type)
        resolved.count = configuration.pageLimits.count(resolved.count)
        return (try await page(resolved, context), resolved)
    }

    /// A page of a request already resolved against this type (the root `/.search` resolves each type itself, to
    /// leave out the types a filter cannot apply to), its count cut to the page limits.
    func page(_ resolved: SearchRequest, _ context: SCIMRequestContext) async throws -> ResourcePage {
        var limited = resolved
        limited.count = configuration.pageLimits.count(resolved.count)
        return try await store.search(limited, type: type, context: context.storeContext)
    }
}
