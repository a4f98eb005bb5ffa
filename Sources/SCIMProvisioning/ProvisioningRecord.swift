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

    public init(
        localID: String, resourceType: String, remoteID: String? = nil, version: String? = nil,
        status: Status = .pending, lastAttempt: Date? = nil, lastError: String? = nil, failures: Int = 0,
        nextAttempt: Date? = nil
    ) {
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
        lastAttempt = entry.string("scimProvLastAttempt").flatMap(LDAPGeneralizedTime.date(from:))
        lastError = entry.string("scimProvLastError")
        failures = entry.string("scimProvFailures").flatMap(Int.init) ?? 0
        nextAttempt = entry.string("scimProvNextAttempt").flatMap(LDAPGeneralizedTime.date(from:))
    }

    static let attributes = [
        "scimProvResourceId", "scimProvResourceType", "scimProvRemoteId", "scimProvVersion",
        "scimProvStatus", "scimProvLastAttempt", "scimProvLastError", "scimProvFailures",
        "scimProvNextAttempt",
    ]

    /// Every attribute with its values (empty: absent), for an add or a whole replace.
    var values: [(String, [String])] {
        [
            ("scimProvResourceType", [resourceType]), ("scimProvRemoteId", remoteID.map { [$0] } ?? []),
            ("scimProvVersion", version.map { [$0] } ?? []), ("scimProvStatus", [status.rawValue]),
            ("scimProvLastAttempt", lastAttempt.map { [LDAPGeneralizedTime.string(from: $0)] } ?? []),
            ("scimProvLastError", lastError.map { [String($0.prefix(1000))] } ?? []),
            ("scimProvFailures", [String(failures)]),
            ("scimProvNextAttempt", nextAttempt.map { [LDAPGeneralizedTime.string(from: $0)] } ?? []),
        ]
    }
}
