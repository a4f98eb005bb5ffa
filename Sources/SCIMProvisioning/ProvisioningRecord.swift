import Foundation
import LDAPClient

/// What the directory remembers about one resource on one target (a `scimProvisionedResource` entry).
public struct ProvisioningRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// The target holds the version in `version`.
        case synced
        /// Not pushed yet, or a failure that may heal: retried after `nextAttempt`.
        case pending
        /// The target refused it in a way that will not heal by itself (e.g. 400 invalidValue): retried when
        /// the resource changes again or on `provision retry`.
        case failed
    }

    public var localID: String
    public var resourceType: String
    public var remoteID: String?
    public var version: String?
    public var status: Status
    public var lastAttempt: Date?
    public var lastError: String?
    public var failures: Int
    public var nextAttempt: Date?

    public init(localID: String, resourceType: String, remoteID: String? = nil, version: String? = nil,
                status: Status = .pending, lastAttempt: Date? = nil, lastError: String? = nil, failures: Int = 0,
                nextAttempt: Date? = nil) {
        self.localID = localID
        self.resourceType = resourceType
        self.remoteID = remoteID
        self.version = version
        self.status = status
        self.lastAttempt = lastAttempt
        self.lastError = lastError
        self.failures = failures
        self.nextAttempt = nextAttempt
    }

    init?(entry: LDAPEntry) {
        guard let id = entry.string("scimProvResourceId") else { return nil }
        localID = id
        resourceType = entry.string("scimProvResourceType") ?? ""
        remoteID = entry.string("scimProvRemoteId")
        version = entry.string("scimProvVersion")
        status = entry.string("scimProvStatus").flatMap(Status.init(rawValue:)) ?? .pending
        lastAttempt = entry.string("scimProvLastAttempt").flatMap(LDAPTime.parse)
        lastError = entry.string("scimProvLastError")
        failures = entry.string("scimProvFailures").flatMap(Int.init) ?? 0
        nextAttempt = entry.string("scimProvNextAttempt").flatMap(LDAPTime.parse)
    }

    static let attributes = ["scimProvResourceId", "scimProvResourceType", "scimProvRemoteId", "scimProvVersion",
                             "scimProvStatus", "scimProvLastAttempt", "scimProvLastError", "scimProvFailures",
                             "scimProvNextAttempt"]

    /// Every attribute with its values (empty: absent), for an add or a whole replace.
    var values: [(String, [String])] {
        [("scimProvResourceType", [resourceType]), ("scimProvRemoteId", remoteID.map { [$0] } ?? []),
         ("scimProvVersion", version.map { [$0] } ?? []), ("scimProvStatus", [status.rawValue]),
         ("scimProvLastAttempt", lastAttempt.map { [LDAPTime.format($0)] } ?? []),
         ("scimProvLastError", lastError.map { [String($0.prefix(1000))] } ?? []),
         ("scimProvFailures", [String(failures)]),
         ("scimProvNextAttempt", nextAttempt.map { [LDAPTime.format($0)] } ?? [])]
    }
}

/// GeneralizedTime (RFC 4517 §3.3.13) in UTC with seconds.
enum LDAPTime {
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02dZ", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    static func parse(_ text: String) -> Date? {
        let digits = Array(text.utf8.prefix(14))
        guard digits.count == 14, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { Int(String(decoding: digits[range], as: UTF8.self)) ?? 0 }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: number(0..<4), month: number(4..<6), day: number(6..<8),
                                                  hour: number(8..<10), minute: number(10..<12), second: number(12..<14)))
    }
}
