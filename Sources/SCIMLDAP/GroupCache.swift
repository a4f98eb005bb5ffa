import SCIMCore
import Synchronization

/// Groups seen recently, by DN: their id, display name and own memberships, so the `groups` of a user read a
/// moment ago cost no further search (every GET of a member of a 10,000-member group would otherwise search that
/// group). Entries live a few seconds, and every group write through this gateway clears the cache; a group
/// renamed directly in the directory shows its old name for at most the lifetime. Requests with a subtree or a
/// proxy identity bypass it (what they may see differs).
final class GroupCache: Sendable {
    struct Entry: Sendable {
        var target: ReferenceResolver.Target
        var parents: [String]
        var expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    var isUsable: Bool {
        lifetime > .zero && RequestScope.current.baseDN == nil && RequestScope.current.proxiedAuthorizationID == nil
    }

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
            entries[key] = Entry(target: target, parents: parents, expires: now + lifetime)
        }
    }

    func clear() { entries.withLock { $0.removeAll(keepingCapacity: true) } }
}
