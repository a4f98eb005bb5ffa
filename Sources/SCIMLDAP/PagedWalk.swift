import LDAPClient

/// Counts the entries of a search with the Simple Paged Results control (RFC 2696), in the directory's own order,
/// asking only for `entryUUID`, and keeps the ids at the positions of one window: an exact total and a page
/// chosen without ever holding more than one LDAP page and the window in memory. Used when the directory offers no
/// server-side sort + VLV (no sssvlv overlay).
struct PagedWalk {
    /// Entries asked per LDAP page (the directory may send fewer, `size.pr`).
    static let pageSize = 1000

    struct Result: Sendable {
        /// Entries counted (all of them unless `stopAfter` cut the walk short).
        var counted: Int
        /// entryUUIDs of the window's positions, in the directory's order.
        var ids: [String]
        /// False when the walk stopped at `stopAfter` with entries left.
        var complete: Bool
    }

    /// The directory stopped the walk with result 4: the service account's size limit (`size.prtotal` for paged
    /// searches, else the hard limit) is below the number of matching entries.
    struct SizeLimited: Error, Sendable {
        var counted: Int
    }

    let pool: LDAPPool

    /// Walks `filter` under `base`; `window` holds 0-based positions. Throws `SizeLimited` or `LDAPError`.
    func walk(base: String, scope: LDAPScope, filter: LDAPFilter, window: Range<Int>, stopAfter: Int? = nil)
        async throws -> Result
    {
        try await pool.read { connection in
            var cookie: [UInt8] = []
            var position = 0
            var ids: [String] = []
            ids.reserveCapacity(min(window.count, Self.pageSize))
            repeat {
                let page: LDAPSearchResult
                do {
                    page = try await connection.search(
                        base: base, scope: scope, filter: filter, attributes: ["entryUUID"],
                        controls: [.pagedResults(size: Self.pageSize, cookie: cookie)])
                } catch {
                    // The server may still hold this connection's paged state: never reuse it.
                    connection.retire()
                    throw error
                }
                for entry in page.entries {
                    if window.contains(position), let id = entry.string("entryUUID") { ids.append(id) }
                    position += 1
                }
                if page.sizeLimitExceeded {
                    connection.retire()
                    throw SizeLimited(counted: position)
                }
                cookie = page.controls.pagedResultsCookie ?? []
                if let stopAfter, position >= stopAfter, !cookie.isEmpty {
                    connection.retire()
                    return Result(counted: position, ids: ids, complete: false)
                }
            } while !cookie.isEmpty
            return Result(counted: position, ids: ids, complete: true)
        }
    }
}
