/// The resources waiting to be pushed, deduplicated (a resource changed ten times is pushed once, at its
/// latest version) and bounded: past `capacity` the queue is dropped and a full reconciliation is asked for
/// instead, so memory stays flat while a target is down for hours (the directory and the cookie are the queue).
///
/// It also knows which sync cookie is safe to record: the newest one received before every change still
/// waiting or in flight.
actor ChangeQueue {
    struct Item: Sendable, Hashable {
        var localID: String
        /// Nil when the feed could not tell (a deletion): the state record knows.
        var typeName: String?
        /// Push even when the version pushed last is the current one (retries, reconciliation).
        var force: Bool
        /// When the feed delivered it (for the lag metric); nil for retries.
        var received: ContinuousClock.Instant? = nil
    }

    let capacity: Int
    private var order: [String] = []
    private var head = 0
    private var items: [String: (item: Item, sequence: Int)] = [:]
    private var inFlight: [String: Int] = [:]
    private var sequence = 0
    private var cookies: [(sequence: Int, cookie: [UInt8])] = []
    private var waiters: [CheckedContinuation<Item?, Never>] = []
    private var closed = false
    private(set) var overflowed = false
    /// A reconciliation must succeed before any cookie is recorded: after an overflow, or a refresh without
    /// cookie (whose entries are left to the reconciliation).
    private(set) var reconciliationDue = false

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    var count: Int { items.count + inFlight.count }

    func push(_ item: Item) {
        guard !closed else { return }
        sequence += 1
        if let queued = items[item.localID] {
            // Already waiting: keep its place, keep the older sequence (its cookie must wait for it).
            var merged = queued.item
            merged.force = merged.force || item.force
            if merged.typeName == nil { merged.typeName = item.typeName }
            items[item.localID] = (merged, queued.sequence)
            return
        }
        if items.count >= capacity {
            overflowed = true
            reconciliationDue = true
            order.removeAll()
            head = 0
            items.removeAll()
            return
        }
        items[item.localID] = (item, sequence)
        order.append(item.localID)
        if !waiters.isEmpty, let next = popNext() { waiters.removeFirst().resume(returning: next) }
    }

    /// A cookie that covers every change pushed so far.
    func received(cookie: [UInt8]) {
        sequence += 1
        cookies.append((sequence, cookie))
        if cookies.count > 1024 { cookies.removeFirst(cookies.count - 1024) }
    }

    /// The next item (nil once closed).
    func next() async -> Item? {
        if let item = popNext() { return item }
        if closed { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func popNext() -> Item? {
        while head < order.count {
            let id = order[head]
            head += 1
            if head > 4096, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
            guard let entry = items.removeValue(forKey: id) else { continue }
            inFlight[id] = entry.sequence
            return entry.item
        }
        return nil
    }

    func done(_ item: Item) {
        inFlight.removeValue(forKey: item.localID)
    }

    /// The newest cookie no waiting or in-flight change precedes; nil when there is none to record.
    /// None while an overflow waits for its reconciliation: the dropped changes are not handled yet.
    func checkpoint() -> [UInt8]? {
        guard !reconciliationDue else { return nil }
        let oldest = min(items.values.map(\.sequence).min() ?? .max, inFlight.values.min() ?? .max)
        guard let index = cookies.lastIndex(where: { $0.sequence < oldest }) else { return nil }
        let cookie = cookies[index].cookie
        cookies.removeFirst(index + 1)
        return cookie
    }

    /// A refresh without cookie began: its entries are compared by a reconciliation, not queued.
    func requireReconciliation() {
        reconciliationDue = true
    }

    /// A reconciliation that started after the overflow (or the refresh) has succeeded: nothing is missing.
    func clearOverflow() {
        overflowed = false
        reconciliationDue = false
    }

    func close() {
        closed = true
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters.removeAll()
    }
}
