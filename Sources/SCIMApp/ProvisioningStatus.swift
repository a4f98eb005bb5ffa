import Foundation
import OrderedCollections
import SCIMCore
import SCIMProvisioning

/// `provision status`: read from the directory, so it shows the state whichever instance holds the lease.
enum ProvisioningStatus {
    static func report(_ engine: ProvisioningEngine) async throws -> JSONValue {
        let records = try await engine.state.records()
        let target = try await engine.state.targetState()
        let now = Date()
        var counts: OrderedDictionary<String, JSONValue> = [:]
        for status in ProvisioningRecord.Status.allCases {
            counts[status.rawValue] = .integer(Int64(records.filter { $0.status == status }.count))
        }
        let waiting = records.filter { $0.status != .synced }
        // Lag: how long the oldest change still waiting has waited since its first failed attempt.
        let oldest = waiting.compactMap(\.lastAttempt).min()
        var out: OrderedDictionary<String, JSONValue> = [
            "target": .string(engine.settings.name),
            "url": .string(engine.settings.baseURL),
            "counts": .object(counts),
        ]
        if let oldest { out["oldestWaitingSeconds"] = .integer(Int64(now.timeIntervalSince(oldest))) }
        if let holder = target.leaseHolder, let expires = target.leaseExpires, expires > now {
            out["leaseHolder"] = .string(holder)
            out["leaseExpiresInSeconds"] = .integer(Int64(expires.timeIntervalSince(now)))
        } else {
            out["leaseHolder"] = .null
        }
        if let checkpoint = target.lastAttempt { out["cookieRecordedSecondsAgo"] = .integer(Int64(now.timeIntervalSince(checkpoint))) }
        out["waiting"] = .array(
            waiting.sorted { ($0.lastAttempt ?? now) < ($1.lastAttempt ?? now) }.prefix(100).map { record in
                var item: OrderedDictionary<String, JSONValue> = [
                    "id": .string(record.localID), "resourceType": .string(record.resourceType), "status": .string(record.status.rawValue),
                    "failures": .integer(Int64(record.failures)),
                ]
                if let error = record.lastError { item["lastError"] = .string(error) }
                if let attempt = record.lastAttempt { item["lastAttempt"] = .string(ISO8601DateFormatter().string(from: attempt)) }
                if let next = record.nextAttempt { item["nextAttempt"] = .string(ISO8601DateFormatter().string(from: next)) }
                return .object(item)
            })
        return .object(out)
    }

    static func text(_ report: JSONValue) -> String {
        var lines: [String] = []
        let counts = report["counts"]?.objectValue ?? [:]
        lines.append("\(report["target"]?.stringValue ?? "?") → \(report["url"]?.stringValue ?? "?")")
        lines.append(
            "  synced \(counts["synced"]?.int64Value ?? 0), pending \(counts["pending"]?.int64Value ?? 0), failed \(counts["failed"]?.int64Value ?? 0)"
        )
        if let holder = report["leaseHolder"]?.stringValue {
            lines.append("  active instance: \(holder) (lease renews within \(report["leaseExpiresInSeconds"]?.int64Value ?? 0) s)")
        } else {
            lines.append("  active instance: none (no gateway is provisioning this target)")
        }
        if let ago = report["cookieRecordedSecondsAgo"]?.int64Value { lines.append("  change feed position recorded \(ago) s ago") }
        if let oldest = report["oldestWaitingSeconds"]?.int64Value { lines.append("  oldest waiting change: \(oldest) s") }
        for item in report["waiting"]?.arrayValue ?? [] {
            lines.append(
                "  \(item["status"]?.stringValue ?? "")\t\(item["resourceType"]?.stringValue ?? "")\t\(item["id"]?.stringValue ?? "")"
                    + "\tfailures \(item["failures"]?.int64Value ?? 0)\t\(item["lastError"]?.stringValue ?? "")"
                    + (item["nextAttempt"]?.stringValue.map { "\tnext \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
