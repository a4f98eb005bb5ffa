import Foundation
import LDAPClient
import OrderedCollections
import SCIMCore

/// The `passwordState` value of one entry, computed from ppolicy's operational attributes and the entry's
/// effective policy (its `pwdPolicySubentry`, else the mapping's `defaultPolicy`) at `now`.
struct PasswordState {
    var entry: LDAPEntry
    var policy: PasswordPolicy?
    var now: Date

    /// The DN of the policy that applies to `entry` (nil: none known).
    static func policyDN(of entry: LDAPEntry, mapping: PasswordPolicyMapping) -> String? {
        entry.string("pwdPolicySubentry") ?? mapping.defaultPolicy
    }

    var changed: Date? { entry.string("pwdChangedTime").flatMap(GeneralizedTimeDate.parse) }

    var expires: Date? {
        guard let policy, policy.maxAge > 0, let changed else { return nil }
        return changed.addingTimeInterval(TimeInterval(policy.maxAge))
    }

    /// The temporary lock's time: `pwdAccountLockedTime` unless it is the permanent (administrative) lock.
    var lockTime: Date? {
        guard let value = entry.strings("pwdAccountLockedTime").first(where: { $0 != ActiveLock.permanentLock }) else { return nil }
        return GeneralizedTimeDate.parse(value)
    }

    /// Locked by failed binds now: a lock ppolicy still enforces (no duration: until an administrator unlocks).
    var locked: Bool {
        guard let lockTime else { return false }
        let duration = policy?.lockoutDuration ?? 0
        return duration == 0 || lockTime.addingTimeInterval(TimeInterval(duration)) > now
    }

    /// The failures ppolicy still counts (within `pwdFailureCountInterval` when the policy sets one).
    var failures: [Date] {
        let all = entry.strings("pwdFailureTime").compactMap(GeneralizedTimeDate.parse).sorted()
        guard let interval = policy?.failureCountInterval, interval > 0 else { return all }
        return all.filter { $0.addingTimeInterval(TimeInterval(interval)) > now }
    }

    func json() -> JSONValue {
        var out: OrderedDictionary<String, JSONValue> = [:]
        if let changed { out["lastSetDateTime"] = .string(GeneralizedTimeDate.rfc3339(changed)) }
        out["mustChange"] = .bool(entry.string("pwdReset")?.uppercased() == "TRUE")
        if let policy { out["cantChange"] = .bool(!policy.allowUserChange) }
        if let expires {
            out["expired"] = .bool(expires <= now)
            out["expiresDateTime"] = .string(GeneralizedTimeDate.rfc3339(expires))
        } else if policy != nil {
            out["expired"] = .bool(false)
        }
        out["failedAttempts"] = .integer(Int64(self.failures.count))
        if let last = entry.strings("pwdFailureTime").compactMap(GeneralizedTimeDate.parse).max() {
            out["lastFailedDateTime"] = .string(GeneralizedTimeDate.rfc3339(last))
        }
        let isLocked = self.locked
        out["locked"] = .bool(isLocked)
        if isLocked, let lockTime, let duration = policy?.lockoutDuration, duration > 0 {
            out["lockedUntil"] = .string(GeneralizedTimeDate.rfc3339(lockTime.addingTimeInterval(TimeInterval(duration))))
        }
        if let policy, policy.graceAuthNLimit > 0 {
            let used = entry.strings("pwdGraceUseTime").count
            out["graceLoginsRemaining"] = .integer(Int64(max(0, policy.graceAuthNLimit - used)))
        }
        if let id = policy?.id { out["policy"] = .string(id) }
        return .object(out)
    }
}
