import OrderedCollections
import SCIMCore

/// Compares what a target holds with what it should hold, and computes the smallest PatchOp that closes the
/// gap. A target may add what it was never sent (defaults, `display`, `$ref`, `primary: false`): only what we
/// send is compared, so a resource the target decorated is not updated again and again.
public enum ResourceDiff {
    /// True when `remote` holds every value of `desired` (names compared case-insensitively).
    public static func covers(_ remote: JSONValue?, _ desired: JSONValue) -> Bool {
        switch desired {
        case .null: return remote == nil || remote?.isNull == true
        case .object(let object):
            guard let remoteObject = remote?.objectValue else { return object.values.allSatisfy(\.isUnassigned) }
            let remoteValue = JSONValue.object(remoteObject)
            for (key, value) in object where !value.isUnassigned {
                guard covers(remoteValue.member(named: key)?.value, value) else { return false }
            }
            return true
        case .array(let items):
            guard let remoteItems = remote?.arrayValue else { return items.isEmpty }
            guard remoteItems.count == items.count else { return false }
            var unused = remoteItems
            for item in items {
                guard let index = unused.firstIndex(where: { covers($0, item) }) else { return false }
                unused.remove(at: index)
            }
            return true
        case .integer, .number:
            guard let remote else { return false }
            return remote.doubleValue == desired.doubleValue
        case .bool, .string:
            return remote == desired
        }
    }

    /// PatchOp operations that make `remote` hold `desired`'s attributes: `replace` for what differs,
    /// `remove` for what we manage (`managed`: lower-case names) and no longer have. Members are not
    /// compared here (see `memberOperations`).
    public static func operations(remote: JSONValue, desired: DesiredResource, managed: Set<String>) -> [JSONValue] {
        var ops: [JSONValue] = []
        for (key, value) in desired.attributes where !["schemas", "members"].contains(key.lowercased()) {
            let current = remote.member(named: key)?.value
            if key.hasPrefix("urn:"), let object = value.objectValue {
                for (sub, subValue) in object where !covers(current?.member(named: sub)?.value, subValue) {
                    ops.append(op("replace", path: "\(key):\(sub)", value: subValue))
                }
                continue
            }
            if !covers(current, value) { ops.append(op("replace", path: key, value: value)) }
        }
        // What we manage and no longer send: removed on the target.
        for (key, value) in remote.objectValue ?? [:] where !value.isUnassigned {
            let lower = key.lowercased()
            if key.hasPrefix("urn:"), let object = value.objectValue {
                let sent = desired.attributes.first { $0.key.lowercased() == lower }?.value
                for (sub, subValue) in object where !subValue.isUnassigned && managed.contains("\(lower):\(sub.lowercased())") {
                    if sent?.member(named: sub) == nil { ops.append(op("remove", path: "\(key):\(sub)")) }
                }
                continue
            }
            guard managed.contains(lower), !["members", "schemas", "externalid"].contains(lower) else { continue }
            if desired.attributes.first(where: { $0.key.lowercased() == lower }) == nil { ops.append(op("remove", path: key)) }
        }
        return ops
    }

    /// Member changes by value, never a replacement of the whole list: one `add` carrying the new members
    /// and one `remove` per member that left, in requests of at most `chunk` operations/values.
    public static func memberOperations(remote: [String], desired: [String], chunk: Int = 500) -> [[JSONValue]] {
        let current = Set(remote)
        let wanted = Set(desired)
        let added = desired.filter { !current.contains($0) }
        let removed = remote.filter { !wanted.contains($0) }
        var requests: [[JSONValue]] = []
        for start in stride(from: 0, to: added.count, by: chunk) {
            let values = added[start..<min(start + chunk, added.count)].map { JSONValue.object(["value": .string($0)]) }
            requests.append([op("add", path: "members", value: .array(values))])
        }
        for start in stride(from: 0, to: removed.count, by: chunk) {
            requests.append(
                removed[start..<min(start + chunk, removed.count)].map {
                    op("remove", path: "members[value eq \(quoted($0))]")
                })
        }
        return requests
    }

    /// The member ids a target's group lists.
    public static func memberIDs(of remote: JSONValue) -> [String] {
        (remote.member(named: "members")?.value.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
    }

    static func op(_ name: String, path: String, value: JSONValue? = nil) -> JSONValue {
        var object: OrderedDictionary<String, JSONValue> = ["op": .string(name), "path": .string(path)]
        if let value { object["value"] = value }
        return .object(object)
    }

    /// A SCIM filter string literal (RFC 7644 §3.4.2.2: JSON string rules).
    public static func quoted(_ value: String) -> String {
        JSONValue.string(value).jsonString()
    }

    public static func patchBody(_ operations: [JSONValue]) -> JSONValue {
        .object([
            "schemas": .array([.string("urn:ietf:params:scim:api:messages:2.0:PatchOp")]),
            "Operations": .array(operations),
        ])
    }
}
