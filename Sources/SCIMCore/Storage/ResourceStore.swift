/// A resource as stored: its JSON representation (with `id` and `meta`) and its version for ETags.
public struct StoredResource: Sendable, Hashable {
    public var resource: JSONValue
    /// The opaque version (without `W/` and quotes); the ETag is `W/"<version>"`.
    public var version: String

    public init(resource: JSONValue, version: String) {
        self.resource = resource
        self.version = version
    }

    public var id: String? { resource["id"]?.stringValue }
    public var etag: String { "W/\"\(version)\"" }
}

/// One page of a list or search.
public struct ResourcePage: Sendable {
    public var resources: [StoredResource]
    public var totalResults: Int
    public var startIndex: Int

    public init(resources: [StoredResource], totalResults: Int, startIndex: Int) {
        self.resources = resources
        self.totalResults = totalResults
        self.startIndex = startIndex
    }
}

/// What the HTTP layer needs from a backend. Every method throws `SCIMError` for anything a client should see;
/// other errors are rendered as a generic 500 (and logged). Every call is given its caller's `StoreContext`: the
/// scope it acts in and the logger its lines go to (for a request, one naming the request).
public protocol ResourceStore: Sendable {
    /// Creates a resource from a validated representation; returns it as stored.
    func create(_ resource: JSONValue, type: ResolvedResourceType, context: StoreContext) async throws -> StoredResource
    /// Reads one resource by id; `attributes` names what the response will project to, so a backend may skip
    /// reading what is not needed (for example group members).
    func get(id: String, type: ResolvedResourceType, projection: Projection, context: StoreContext) async throws
        -> StoredResource
    /// Replaces a resource (PUT, RFC 7644 §3.5.1) with a validated representation; `ifMatch` as for delete.
    func replace(
        id: String, with resource: JSONValue, type: ResolvedResourceType, ifMatch: String?,
        context: StoreContext
    ) async throws -> StoredResource
    /// Applies a PATCH (RFC 7644 §3.5.2); `projection` is what the response will show (a backend may skip
    /// reading group members the client excluded); `ifMatch` as for delete. The patched representation is checked
    /// with `validator`, the caller's — the same one its POST and PUT validate with — before it is stored.
    func patch(
        id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection, ifMatch: String?,
        validator: ResourceValidator, context: StoreContext
    ) async throws -> StoredResource
    /// Lists resources matching a (resolved) search request, sorted and paged by the backend.
    func search(_ request: SearchRequest, type: ResolvedResourceType, context: StoreContext) async throws -> ResourcePage
    /// Deletes a resource; `ifMatch` is the version the client expects (nil: unconditional).
    func delete(id: String, type: ResolvedResourceType, ifMatch: String?, context: StoreContext) async throws
    /// Checks that the backing directory answers.
    func ping(context: StoreContext) async throws
}

extension ResourceStore {
    /// A PATCH validated with the type's default validator (for callers outside the HTTP pipeline).
    public func patch(
        id: String, request: PatchRequest, type: ResolvedResourceType, projection: Projection, ifMatch: String?,
        context: StoreContext
    ) async throws -> StoredResource {
        try await patch(
            id: id, request: request, type: type, projection: projection, ifMatch: ifMatch,
            validator: ResourceValidator(type: type), context: context)
    }
}
