/// What a provider has applied, as its suffix entry's `contextCSN` says: for each server id (SID), the change
/// sequence number of the newest change from that server. CSNs (`20261203133513.527923Z#000000#001#000000`: time,
/// count, SID, modifier count) of one SID order as strings.
public struct ContextCSN: Sendable, Equatable, CustomStringConvertible {
    /// SID → newest CSN from that server.
    public private(set) var bySID: [String: String]

    public init(values: [String]) {
        var bySID: [String: String] = [:]
        for value in values {
            let parts = value.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 4 else { continue }
            let sid = String(parts[2])
            if value > bySID[sid, default: ""] { bySID[sid] = value }
        }
        self.bySID = bySID
    }

    public static let empty = ContextCSN(values: [])

    /// True when this state holds every change `other` holds (per SID, at least as new).
    public func covers(_ other: ContextCSN) -> Bool {
        other.bySID.allSatisfy { sid, csn in bySID[sid, default: ""] >= csn }
    }

    /// The newest of both, per SID.
    public func merged(with other: ContextCSN) -> ContextCSN {
        var result = self
        for (sid, csn) in other.bySID where csn > result.bySID[sid, default: ""] { result.bySID[sid] = csn }
        return result
    }

    public var description: String { bySID.keys.sorted().map { bySID[$0]! }.joined(separator: " ") }
}
