import LDAPClient
import Synchronization

/// What the directory offers for listing, read from its root DSE (`supportedControl`, `supportedExtension`) as the
/// service account: server-side sort and VLV (slapd's sssvlv overlay) give sorted random-access pages; without them
/// the gateway walks the result with Simple Paged Results (native in back-mdb) in the directory's own order.
public struct DirectoryCapabilities: Sendable, Hashable {
    public var supportedControls: Set<String>
    public var supportedExtensions: Set<String>

    public init(supportedControls: Set<String>, supportedExtensions: Set<String> = []) {
        self.supportedControls = supportedControls
        self.supportedExtensions = supportedExtensions
    }

    /// Server-Side Sort (RFC 2891).
    public var serverSideSort: Bool { supportedControls.contains(LDAPControlOID.serverSideSort) }
    /// Virtual List View; only usable together with server-side sort.
    public var virtualListView: Bool { supportedControls.contains(LDAPControlOID.virtualListView) }
    /// Simple Paged Results (RFC 2696).
    public var pagedResults: Bool { supportedControls.contains(LDAPControlOID.pagedResults) }

    /// How lists are answered.
    public enum ListingStrategy: Sendable, Hashable {
        /// Server-side sort + VLV: the directory sorts, counts and cuts the page; `sortBy` works.
        case sortedWindow
        /// Simple Paged Results walk in the directory's order: exact totals, no `sortBy`.
        case pagedWalk
    }

    /// nil when the directory offers neither way (the gateway refuses to start).
    public var listing: ListingStrategy? {
        if serverSideSort && virtualListView { return .sortedWindow }
        return pagedResults ? .pagedWalk : nil
    }

    /// `sortBy` is served only through server-side sort (never emulated in memory).
    public var sorting: Bool { listing == .sortedWindow }

    /// Human-readable names of what was found, for the start-up log.
    public var found: [String] {
        [(serverSideSort, "server-side sort"), (virtualListView, "virtual list view"), (pagedResults, "simple paged results")]
            .filter(\.0).map(\.1)
    }

    /// What is missing and how to get it, one sentence each (empty when everything is there).
    public var missing: [String] {
        var advice: [String] = []
        if !serverSideSort || !virtualListView {
            advice.append(
                "the directory offers no server-side sort/virtual list view (controls \(LDAPControlOID.serverSideSort), "
                    + "\(LDAPControlOID.virtualListView)): sortBy is refused and lists are walked with paged results in the "
                    + "directory's order; load the sssvlv overlay on the database (olcModuleLoad: sssvlv, an olcOverlay=sssvlv entry)")
        }
        if !pagedResults {
            advice.append("the directory offers no simple paged results (control \(LDAPControlOID.pagedResults))")
        }
        return advice
    }

    /// Reads the root DSE through `pool` (as the bound service account, whoever the pool acts as).
    public static func load(from pool: LDAPPool) async throws -> DirectoryCapabilities {
        let root = try await pool.asBoundIdentity.search(
            base: "", scope: .base, filter: .present("objectClass"), attributes: ["supportedControl", "supportedExtension"])
        let entry = root.entries.first
        return DirectoryCapabilities(
            supportedControls: Set(entry?.strings("supportedControl") ?? []),
            supportedExtensions: Set(entry?.strings("supportedExtension") ?? []))
    }
}

/// The capabilities read once (at start-up, or at the first list when the gateway was built without `run`).
final class DirectoryCapabilitiesCache: Sendable {
    private let cached = Mutex<DirectoryCapabilities?>(nil)

    var current: DirectoryCapabilities? { cached.withLock { $0 } }

    func capabilities(from pool: LDAPPool) async throws -> DirectoryCapabilities {
        if let known = current { return known }
        let loaded = try await DirectoryCapabilities.load(from: pool)
        cached.withLock { $0 = loaded }
        return loaded
    }

    func set(_ capabilities: DirectoryCapabilities) { cached.withLock { $0 = capabilities } }
    func forget() { cached.withLock { $0 = nil } }
}
