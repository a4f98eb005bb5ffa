/// One push per resource at a time: the change feed, the retry loop, a reconciliation and a group pushing its
/// members may all reach the same resource; the second waits for the first instead of creating it twice.
actor KeyedLock {
    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func acquire(_ key: String) async {
        guard held.contains(key) else {
            held.insert(key)
            return
        }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    /// Takes the key only if nobody holds it.
    func tryAcquire(_ key: String) -> Bool {
        held.insert(key).inserted
    }

    func release(_ key: String) {
        if var queue = waiters[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()  // ownership passes on; the key stays held
        } else {
            held.remove(key)
        }
    }
}
