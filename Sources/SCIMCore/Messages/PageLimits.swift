/// How many resources one page of a list holds: `defaultCount` when the client names no `count`, never more than
/// `maxCount` (advertised as ServiceProviderConfig `filter.maxResults`). One value serves the HTTP layer and the
/// storage backend, so the two can never disagree.
public struct PageLimits: Sendable, Hashable {
    public var defaultCount: Int
    public var maxCount: Int

    public init(defaultCount: Int = 100, maxCount: Int = 1000) {
        self.maxCount = max(0, maxCount)
        self.defaultCount = min(max(0, defaultCount), self.maxCount)
    }

    /// The gateway's limits: 100 by default, at most 1000.
    public static let standard = PageLimits()

    /// The page size for a request that asked for `requested` (nil: none named).
    public func count(_ requested: Int?) -> Int {
        min(requested ?? defaultCount, maxCount)
    }
}
