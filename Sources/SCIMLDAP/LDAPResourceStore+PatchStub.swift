import SCIMCore

extension LDAPResourceStore {
    public func patch(id: String, request: PatchRequest, type: ResolvedResourceType, ifMatch: String?) async throws
        -> StoredResource
    {
        throw SCIMError.notImplemented("PATCH is being built.")
    }
}
