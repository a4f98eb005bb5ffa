import SCIMCore

extension LDAPResourceStore {
    public func search(_ request: SearchRequest, type: ResolvedResourceType) async throws -> ResourcePage {
        throw SCIMError.notImplemented("Listing is being built.")
    }
}
