import SCIMCore
import Synchronization

/// The target's resources of one type as a reconciliation listed them, for matching without a search per
/// resource: the unmanaged ones (no externalId) by userName, e-mail and displayName. A candidate is handed out
/// once; a key two unmanaged resources share is never matched (rather than the wrong one).
public final class RemoteIndex: Sendable {
    private let candidates: Mutex<[String: [JSONValue]]>

    public init(_ remotes: [JSONValue]) {
        var index: [String: [JSONValue]] = [:]
        for remote in remotes where remote["externalId"]?.stringValue == nil {
            for key in Self.keys(of: remote) { index[key, default: []].append(remote) }
        }
        candidates = Mutex(index)
    }

    static func keys(of remote: JSONValue) -> [String] {
        var keys: [String] = []
        if let userName = remote["userName"]?.stringValue { keys.append("u:" + userName.lowercased()) }
        for email in remote["emails"]?.arrayValue ?? [] {
            if let value = email["value"]?.stringValue { keys.append("e:" + value.lowercased()) }
        }
        if let name = remote["displayName"]?.stringValue, remote["userName"] == nil { keys.append("d:" + name) }
        return keys
    }

    /// The same order as `ProvisioningEngine.match`: userName, then primary (else first) e-mail; groups by
    /// displayName.
    func match(_ desired: DesiredResource, hasMembers: Bool) -> JSONValue? {
        let attributes = JSONValue.object(desired.attributes)
        var keys: [String] = []
        if hasMembers {
            if let name = attributes["displayName"]?.stringValue { keys.append("d:" + name) }
        } else {
            if let userName = attributes["userName"]?.stringValue { keys.append("u:" + userName.lowercased()) }
            let emails = attributes["emails"]?.arrayValue ?? []
            if let address = (emails.first { $0["primary"]?.boolValue == true } ?? emails.first)?["value"]?.stringValue {
                keys.append("e:" + address.lowercased())
            }
        }
        return candidates.withLock { index in
            for key in keys {
                guard let found = index[key], found.count == 1, let remote = found.first else { continue }
                // Claimed: no other resource may adopt it.
                for other in Self.keys(of: remote) {
                    index[other]?.removeAll { $0["id"] == remote["id"] }
                }
                return remote
            }
            return nil
        }
    }
}
