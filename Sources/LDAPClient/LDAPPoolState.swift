/// The pool's bookkeeping as a value type: every event returns what the pool must do next, so the rules can be
/// tested without a directory.
enum PoolLease<Connection: Sendable>: Sendable {
    case existing(Connection)
    /// The caller owns a free slot and must open a connection.
    case openNew
}

struct LDAPPoolState<Connection: AnyObject & Sendable, Waiter> {
    typealias Lease = PoolLease<Connection>

    enum AcquireAction {
        case lease(Lease)
        case wait
        case failFast
    }

    let capacity: Int
    private(set) var idle: [Connection] = []
    private(set) var open = 0
    private(set) var waiters: [(id: Int, waiter: Waiter)] = []
    /// While set, the directory is considered down until that instant: calls fail without trying.
    private(set) var downUntil: ContinuousClock.Instant?
    private(set) var failures = 0
    private(set) var isShutdown = false

    init(capacity: Int) { self.capacity = capacity }

    mutating func acquire(now: ContinuousClock.Instant, waiterID: Int, waiter: Waiter) -> AcquireAction {
        if isShutdown { return .failFast }
        if let downUntil, now < downUntil { return .failFast }
        if let connection = idle.popLast() { return .lease(.existing(connection)) }
        if open < capacity {
            open += 1
            return .lease(.openNew)
        }
        waiters.append((waiterID, waiter))
        return .wait
    }

    /// A leased connection comes back healthy: hand it to the first waiter or keep it.
    mutating func release(_ connection: Connection) -> (Waiter, Lease)? {
        if !waiters.isEmpty {
            let first = waiters.removeFirst()
            return (first.waiter, .existing(connection))
        }
        idle.append(connection)
        return nil
    }

    /// A leased connection died (or could not be opened): its slot frees up. A waiter, if any, takes the slot.
    mutating func discard() -> (Waiter, Lease)? {
        if !waiters.isEmpty {
            let first = waiters.removeFirst()
            return (first.waiter, .openNew)
        }
        open -= 1
        return nil
    }

    /// Every idle connection is suspect after a connection failure: drop them all; returns them for closing.
    mutating func drainIdle() -> [Connection] {
        let drained = idle
        open -= idle.count
        idle.removeAll()
        return drained
    }

    /// Opening a connection in a reserved slot failed: the slot frees up, the pool enters the down state with
    /// exponential backoff, and every waiter must fail now.
    mutating func openFailed(now: ContinuousClock.Instant, backoff: Duration) -> [Waiter] {
        open -= 1
        failures += 1
        // At most twice the base backoff: a directory that comes back answers within about a second (with the
        // default 500 ms), since the first caller after the window tries again.
        let factor = 1 << min(failures - 1, 1)
        downUntil = now + backoff * factor
        let failed = waiters.map(\.waiter)
        waiters.removeAll()
        return failed
    }

    /// Reserves a slot for a background reconnection attempt.
    mutating func reserveSlot() -> Bool {
        guard !isShutdown, open < capacity else { return false }
        open += 1
        return true
    }

    mutating func connectSucceeded() {
        failures = 0
        downUntil = nil
    }

    var isDown: Bool { downUntil != nil }

    mutating func removeWaiter(id: Int) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    mutating func shutdown() -> (idle: [Connection], waiters: [Waiter]) {
        isShutdown = true
        let result = (idle, waiters.map(\.waiter))
        open -= idle.count
        idle.removeAll()
        waiters.removeAll()
        return result
    }
}
