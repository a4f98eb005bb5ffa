import LDAPClient
import SCIMCore
import Synchronization

/// Groups seen recently, by DN: their id, display name and own memberships, so the `groups` of a user read a
/// moment ago cost no further search (every GET of a member of a 10,000-member group would otherwise search that
/// group). Every group write through this gateway clears the cache. While the directory's change feed is followed
/// (`LDAPResourceStore.followDirectoryChanges`), every change to a group made anywhere — another gateway, an
/// admin's ldapmodify — clears it too, and entries live `followedLifetime`; otherwise they live `lifetime` (a few
/// seconds), the longest a group renamed elsewhere shows its old name. Requests with a subtree or a proxy
/// identity bypass it (what they may see differs).
final class GroupCache: Sendable {
    struct Entry: Sendable {
        var target: ReferenceResolver.Target
        var parents: [String]
        var expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    /// How long entries live while the change feed is followed (it clears the cache on every group change).
    let followedLifetime: Duration
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])
    private let following = Atomic<Bool>(false)

    init(lifetime: Duration = .seconds(5), followedLifetime: Duration = .seconds(300), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.followedLifetime = followedLifetime
        self.capacity = capacity
    }

    /// Switches between feed-driven coherence and the short lifetime; either way the cache starts empty.
    func setFollowing(_ on: Bool) {
        following.store(on, ordering: .sequentiallyConsistent)
        clear()
    }

    var isFollowing: Bool { following.load(ordering: .sequentiallyConsistent) }

    var isUsable: Bool { lifetime > .zero }

    func lookup(_ key: String, now: ContinuousClock.Instant = .now) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            if entry.expires < now {
                entries.removeValue(forKey: key)
                return nil
            }
            return entry
        }
    }

    func store(_ key: String, target: ReferenceResolver.Target, parents: [String], now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(target: target, parents: parents, expires: now + (isFollowing ? followedLifetime : lifetime))
        }
    }

    func clear() { entries.withLock { $0.removeAll(keepingCapacity: true) } }

    /// The number of groups held (expired ones included until looked up).
    var count: Int { entries.withLock { $0.count } }
}

extension LDAPResourceStore {
    /// True when a write to `dn` through `mapped` may change what the group cache holds: `mapped` is a group
    /// type, or `dn` lies under the base of one (another mapping's view of the same group entries).
    func mayHoldGroup(_ dn: String, writtenAs mapped: ResourceMapping) -> Bool {
        if mapped.membership != nil { return true }
        guard let entry = try? DistinguishedName(dn) else { return true }
        return groupBases.contains { entry.isDescendant(of: $0) }
    }
}
