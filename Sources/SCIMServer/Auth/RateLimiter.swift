import Synchronization

/// A token bucket per client: `rate` requests per second on average, bursts up to `burst`. Over the limit the
/// client gets 429 with Retry-After.
public final class RateLimiter: Sendable {
    public struct Limit: Sendable, Hashable {
        public var rate: Double
        public var burst: Double
        public init(rate: Double, burst: Double) {
            self.rate = max(rate, 0.001)
            self.burst = max(burst, 1)
        }
    }

    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let buckets = Mutex<[String: Bucket]>([:])

    static let maxKeys = 10_000

    public init() {}

    /// Takes one token for `key`; returns nil when allowed, or the seconds until a token is available.
    public func take(_ key: String, limit: Limit, now: ContinuousClock.Instant = .now) -> Int? {
        buckets.withLock { buckets in
            // Keys may come from clients (Basic user names): the table stays bounded by forgetting buckets idle
            // for a minute (refilled by then at any rate of burst/60 per second or more).
            if buckets.count >= Self.maxKeys {
                buckets = buckets.filter { now - $0.value.updated < .seconds(60) }
                if buckets.count >= Self.maxKeys { buckets.removeAll(keepingCapacity: true) }
            }
            var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(limit.burst, bucket.tokens + seconds * limit.rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((1 - bucket.tokens) / limit.rate).rounded(.up)))
        }
    }
}
