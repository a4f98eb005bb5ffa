/// Whole result sets of any size with the Simple Paged Results control (RFC 2696), a page at a time.
extension LDAPConnection {
    /// Hands every page of `filter` under `base` to `body` until the directory has no more. A page cut short by
    /// the service account's size limit (`size.prtotal`) throws `.sizeLimitExceeded` rather than passing for the
    /// whole set. An error in the middle of a walk retires the connection.
    public func searchAllPages(
        base: String, scope: LDAPScope, filter: LDAPFilter, attributes: [String], pageSize: Int = 500,
        _ body: ([LDAPEntry]) async throws -> Void
    ) async throws {
        var cookie: [UInt8] = []
        do {
            repeat {
                let page = try await search(
                    base: base, scope: scope, filter: filter, attributes: attributes,
                    controls: [.pagedResults(size: pageSize, cookie: cookie)])
                if page.sizeLimitExceeded {
                    throw LDAPError(code: .sizeLimitExceeded, diagnosticMessage: "the size limit cut a paged search short")
                }
                try await body(page.entries)
                cookie = page.controls.pagedResultsCookie ?? []
            } while !cookie.isEmpty
        } catch {
            // Stopped in the middle of a walk: the server may still hold this connection's paged state.
            if !cookie.isEmpty { retire() }
            throw error
        }
    }
}
