import OrderedCollections
import SCIMCore

/// What a target should hold for one of our resources: our own GET rendering reduced to the attributes the
/// target is sent, `externalId` set to our id, member references translated to the target's ids.
public struct DesiredResource: Sendable, Equatable {
    /// The body of a POST or PUT (without `id`, `meta`, `groups`, members).
    public var attributes: OrderedDictionary<String, JSONValue>
    /// Groups: the target ids of the members (order kept, duplicates dropped).
    public var memberIDs: [String]?

    /// The resource as the target gets it: `filter` applied, `externalId` = `localID`, member values translated
    /// to target ids with `translate`; members with no counterpart on the target (not selected, not yet pushed)
    /// are left out and reported back as `unresolved`.
    public static func make(
        from local: JSONValue, localID: String, attributes filter: AttributeFilter,
        translate: (String) -> String?
    ) -> (DesiredResource, unresolved: [String]) {
        var out: OrderedDictionary<String, JSONValue> = [:]
        var schemas: [JSONValue] = []
        for (key, value) in local.objectValue ?? [:] {
            let lower = key.lowercased()
            if lower == "schemas" {
                schemas = value.arrayValue ?? []
                continue
            }
            guard !Self.neverSent.contains(lower), !value.isUnassigned else { continue }
            if key.hasPrefix("urn:"), let object = value.objectValue {
                var kept: OrderedDictionary<String, JSONValue> = [:]
                for (sub, subValue) in object where filter.sends("\(key):\(sub)") && !subValue.isUnassigned {
                    kept[sub] = subValue
                }
                if !kept.isEmpty { out[key] = .object(kept) }
                continue
            }
            guard filter.sends(key) else { continue }
            out[key] = value
        }
        out["externalId"] = .string(localID)
        let extensionsSent = Set(out.keys.filter { $0.hasPrefix("urn:") }.map { $0.lowercased() })
        out.updateValue(
            .array(
                schemas.filter { urn in
                    guard let name = urn.stringValue else { return false }
                    return name.lowercased().contains(":core:") || extensionsSent.contains(name.lowercased())
                }), forKey: "schemas", insertingAt: 0)

        var memberIDs: [String]?
        var unresolved: [String] = []
        if let members = local["members"]?.arrayValue {
            var seen = Set<String>()
            var ids: [String] = []
            for member in members {
                guard let value = member["value"]?.stringValue else { continue }
                guard let remote = translate(value) else {
                    unresolved.append(value)
                    continue
                }
                if seen.insert(remote).inserted { ids.append(remote) }
            }
            memberIDs = ids
        }
        return (DesiredResource(attributes: out, memberIDs: memberIDs), unresolved)
    }

    /// Attributes never sent: server-assigned on our side or the target's, or derived from other resources.
    static let neverSent: Set<String> = ["id", "meta", "groups", "members", "password", "externalid"]

    /// The POST/PUT body, members included.
    public var body: JSONValue {
        var object = attributes
        if let memberIDs { object["members"] = .array(memberIDs.map { .object(["value": .string($0)]) }) }
        return .object(object)
    }
}

/// Which of our attributes a target is sent.
public struct AttributeFilter: Sendable {
    let allowed: Set<String>?
    let excluded: Set<String>

    public init(allowed: [String]?, excluded: [String]) {
        self.allowed = allowed.map { Set($0.map { $0.lowercased() }) }
        self.excluded = Set(excluded.map { $0.lowercased() })
    }

    /// `name` is a top-level attribute or `urn:…:attribute` of an extension.
    public func sends(_ name: String) -> Bool {
        let lower = name.lowercased()
        if excluded.contains(lower) { return false }
        // An excluded extension excludes its attributes.
        if let colon = lower.lastIndex(of: ":"), lower.hasPrefix("urn:"), excluded.contains(String(lower[..<colon])) { return false }
        guard let allowed else { return true }
        if allowed.contains(lower) { return true }
        if lower.hasPrefix("urn:") {
            // An allowed extension allows its attributes; an allowed attribute allows its extension object.
            if let colon = lower.lastIndex(of: ":"), allowed.contains(String(lower[..<colon])) { return true }
            return allowed.contains { $0.hasPrefix(lower + ":") }
        }
        return false
    }
}
