import LDAPClient
import Logging

/// Keeps what the gateway caches coherent with the directory, whoever changes it: the group cache follows the
/// change feed (RFC 4533, slapd's syncprov) of every group base, so a group renamed through another gateway or
/// directly in LDAP shows at once. Without a feed (no syncprov, or the feed is down) the cache falls back to its
/// short lifetime.
extension LDAPResourceStore {
    /// Runs until cancelled. `configuration`: the pool's, for the feed's own connection (it never takes a pooled
    /// one).
    public func followDirectoryChanges(retryDelay: Duration = .seconds(1)) async {
        let bases = Array(Set(mapping.resourceTypes.values.filter { $0.membership != nil }.map(\.baseDN))).sorted()
        guard !bases.isEmpty else { return }
        // The directory must offer content synchronisation (slapd: the syncprov overlay on the database).
        var offered = false
        while !Task.isCancelled {
            if let root = try? await pool.search(base: "", scope: .base, attributes: ["supportedControl"]) {
                offered = root.entries.first?.strings("supportedControl").contains(LDAPControlOID.syncRequest) == true
                break
            }
            try? await Task.sleep(for: retryDelay)
        }
        guard offered else {
            logger.info(
                "the directory offers no change feed (load slapd's syncprov overlay): group names changed elsewhere show within \(groupCache.lifetime)"
            )
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for base in bases {
                group.addTask { await self.follow(base: base, retryDelay: retryDelay) }
            }
        }
        groupCache.setFollowing(false)
    }

    private func follow(base: String, retryDelay: Duration) async {
        let feed = LDAPChangeFeed(
            configuration: pool.configuration, base: base, attributes: ["1.1"], retryDelay: retryDelay,
            logger: logger)
        do {
            for try await element in feed {
                switch element {
                case .restarted:
                    // Until this stream's refresh is done, changes may have been missed: the short lifetime.
                    groupCache.setFollowing(false)
                case .event(.refreshDone):
                    groupCache.setFollowing(true)
                    logger.debug("following the directory's changes", metadata: ["base": "\(base)"])
                case .event(.entry), .event(.idSet):
                    groupCache.clear()
                case .event(.done):
                    groupCache.setFollowing(false)
                case .event(.cookie):
                    break
                }
            }
        } catch {
            logger.warning(
                "the directory's change feed stopped; group names may lag by the cache lifetime",
                metadata: ["base": "\(base)", "error": "\(error)"])
        }
        groupCache.setFollowing(false)
    }
}
