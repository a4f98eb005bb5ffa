import LDAPClient
import Logging
import SCIMCore

/// The start-up check of what the directory offers for listing, and the size-limit probe.
///
/// The probe is a plain search of each resource type's base for `1.1` with a client size limit of
/// `sizeLimitProbe` entries: result 4 with fewer entries than that is the directory's own limit on the service
/// account (slapd's default is 500 for anyone but the rootDN). It costs at most `sizeLimitProbe` DNs and finds
/// a limit only when the base holds more entries than the limit; a limit that a growing directory reaches later
/// still never gives a wrong total (400 `tooMany`, logged with the same advice). When lists are walked with paged
/// results, a bounded paged walk (stopped after `sizeLimitProbe` entries) checks `size.prtotal` as well.
extension LDAPResourceStore {
    /// Largest number of entries the start-up probe reads per resource type.
    public static let sizeLimitProbe = 10_000

    /// A resource type whose base holds more entries than the directory lets the service account read at once.
    public struct SizeLimitFinding: Sendable, Hashable {
        public var resourceType: String
        /// Entries returned before the directory stopped the search.
        public var limit: Int
        /// True when found by the paged walk (`size.prtotal`), false by the plain search (`size.hard`).
        public var paged: Bool

        public init(resourceType: String, limit: Int, paged: Bool) {
            self.resourceType = resourceType
            self.limit = limit
            self.paged = paged
        }
    }

    /// Refusal to start: the directory cannot page through results at all.
    public struct CapabilityError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The capabilities for a list (read once; errors become SCIM errors).
    func listingCapabilities() async throws -> DirectoryCapabilities {
        do {
            return try await directoryCapabilities.capabilities(from: pool)
        } catch let error as LDAPError {
            throw ListingErrors.translate(error, "directory")
        }
    }

    /// Whether `sortBy` is served (ServiceProviderConfig's `sort.supported`): only with server-side sort + VLV.
    public func sortingSupported() async -> Bool {
        (try? await directoryCapabilities.capabilities(from: pool).sorting) ?? false
    }

    var serviceAccountDN: String? {
        if case .simple(let dn, _) = pool.configuration.bind { return dn }
        return nil
    }

    func logSizeLimit(_ resource: String, counted: Int?, paged: Bool) {
        var metadata: Logger.Metadata = [
            "resourceType": "\(resource)", "search": "\(paged ? "paged results" : "plain or sorted")",
            "fix": "\(ListingErrors.limitsClause(serviceDN: serviceAccountDN))",
        ]
        if let counted { metadata["entriesBeforeLimit"] = "\(counted)" }
        logger.warning(
            "the directory's size limit on the service account cut a list short; answered 400 tooMany",
            metadata: metadata)
    }

    /// Reads the root DSE, logs what lists will use (info) and what is missing with what to configure (warning),
    /// refuses when the directory can page neither way, then probes each base for a size limit (warnings).
    @discardableResult
    public func detectCapabilities() async throws -> DirectoryCapabilities {
        let capabilities = try await DirectoryCapabilities.load(from: pool)
        directoryCapabilities.set(capabilities)
        let listing =
            switch capabilities.listing {
            case .sortedWindow: "server-side sort + virtual list view (sortBy supported)"
            case .pagedWalk: "simple paged results in the directory's order (sortBy refused)"
            case nil: "none"
            }
        logger.info(
            "directory capabilities",
            metadata: [
                "found": "\(capabilities.found.joined(separator: ", "))", "lists": "\(listing)",
            ])
        for advice in capabilities.missing { logger.warning("directory capability missing: \(advice)") }
        guard capabilities.listing != nil else {
            throw CapabilityError(
                description: "the directory offers neither simple paged results (\(LDAPControlOID.pagedResults)) "
                    + "nor server-side sort + virtual list view (\(LDAPControlOID.serverSideSort), \(LDAPControlOID.virtualListView)), "
                    + "so lists cannot be answered; load the sssvlv overlay (OpenLDAP: olcModuleLoad: sssvlv and an "
                    + "olcOverlay=sssvlv entry on the database) or use a backend with paged results (back-mdb)")
        }
        let findings = await probeSizeLimits(capabilities)
        for finding in findings {
            let effect =
                capabilities.listing == .pagedWalk || finding.paged
                ? "lists of \(finding.resourceType) that match more entries answer 400 tooMany"
                : "pages (count) of \(finding.resourceType) larger than that answer 400 tooMany"
            let message =
                "the directory limits the service account to \(finding.limit) entries per \(finding.paged ? "paged " : "")search "
                + "and the \(finding.resourceType) base holds more: \(effect); add to the database's config: "
                + ListingErrors.limitsClause(serviceDN: serviceAccountDN)
            logger.warning("\(message)")
        }
        if findings.isEmpty {
            logger.info("no size limit on the service account found below the entries of each base (probe reads up to \(Self.sizeLimitProbe))")
        }
        return capabilities
    }

    /// Each resource type's base searched for `1.1` with a client size limit of `sizeLimitProbe` (and, for the
    /// paged strategy, walked up to as many entries): a limit of the directory hit before that is reported.
    public func probeSizeLimits(_ capabilities: DirectoryCapabilities) async -> [SizeLimitFinding] {
        var findings: [SizeLimitFinding] = []
        for (name, mapped) in mapping.resourceTypes.sorted(by: { $0.key < $1.key }) {
            let scope: LDAPScope = mapped.scope == .one ? .oneLevel : .subtree
            let filter: LDAPFilter = mapped.selection.isEmpty ? .alwaysTrue : .and(mapped.selection)
            do {
                let found = try await pool.asBoundIdentity.search(
                    base: mapped.baseDN, scope: scope, filter: filter, attributes: ["1.1"], sizeLimit: Self.sizeLimitProbe)
                if found.sizeLimitExceeded, found.entries.count < Self.sizeLimitProbe {
                    findings.append(.init(resourceType: name, limit: found.entries.count, paged: false))
                    continue
                }
                guard capabilities.listing == .pagedWalk else { continue }
                _ = try await PagedWalk(pool: pool.asBoundIdentity).walk(
                    base: mapped.baseDN, scope: scope, filter: filter, window: 0..<0, stopAfter: Self.sizeLimitProbe)
            } catch let limited as PagedWalk.SizeLimited {
                findings.append(.init(resourceType: name, limit: limited.counted, paged: true))
            } catch let error as LDAPError {
                logger.warning(
                    "could not probe the size limit under a resource base",
                    metadata: ["resourceType": "\(name)", "base": "\(mapped.baseDN)", "ldap.error": "\(error.logDescription)"])
            } catch {
                logger.warning(
                    "could not probe the size limit under a resource base",
                    metadata: ["resourceType": "\(name)", "error": "\(error)"])
            }
        }
        return findings
    }
}
