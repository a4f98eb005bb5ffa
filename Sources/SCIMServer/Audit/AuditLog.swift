import Foundation
import OrderedCollections
import SCIMCore
import Synchronization

/// Every write (POST, PUT, PATCH, DELETE, each bulk operation, /Me) as one JSON object per line on a stream of its
/// own: a file (appended, created 0600), stdout, or stderr. Holds who (client, acting user), what (resource
/// type, id, operation), the outcome (HTTP status, scimType) and the request id; never passwords or tokens.
public final class AuditLog: Sendable {
    public struct Event: Sendable {
        public var requestID: String
        public var client: String?
        public var actingUser: String?
        public var operation: String
        public var resourceType: String?
        public var resourceID: String?
        public var status: Int
        public var scimType: String?
        public var bulkIndex: Int?

        public init(
            requestID: String, client: String?, actingUser: String?, operation: String, resourceType: String?,
            resourceID: String?, status: Int, scimType: String? = nil, bulkIndex: Int? = nil
        ) {
            self.requestID = requestID
            self.client = client
            self.actingUser = actingUser
            self.operation = operation
            self.resourceType = resourceType
            self.resourceID = resourceID
            self.status = status
            self.scimType = scimType
            self.bulkIndex = bulkIndex
        }
    }

    private let handle: Mutex<FileHandle?>

    /// `destination`: a file path, `stdout`, `stderr`, or nil/`off` for no audit stream.
    public init(destination: String?) throws {
        switch destination {
        case nil, "off": handle = Mutex(nil)
        case "stdout": handle = Mutex(FileHandle.standardOutput)
        case "stderr": handle = Mutex(FileHandle.standardError)
        case let path?:
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                    throw SCIMError.internal()
                }
            }
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            _ = try file.seekToEnd()
            handle = Mutex(file)
        }
    }

    public static let disabled = try! AuditLog(destination: nil)

    public var isEnabled: Bool { handle.withLock { $0 != nil } }

    public func record(_ event: Event, at date: Date = Date()) {
        var object: OrderedDictionary<String, JSONValue> = [
            "time": .string(SCIMDateTime.format(date)),
            "requestId": .string(event.requestID),
            "operation": .string(event.operation),
            "status": .integer(Int64(event.status)),
        ]
        if let client = event.client { object["client"] = .string(client) }
        if let user = event.actingUser { object["actingUser"] = .string(user) }
        if let type = event.resourceType { object["resourceType"] = .string(type) }
        if let id = event.resourceID { object["resourceId"] = .string(id) }
        if let scimType = event.scimType { object["scimType"] = .string(scimType) }
        if let index = event.bulkIndex { object["bulkOperation"] = .integer(Int64(index)) }
        object["outcome"] = .string(event.status < 400 ? "success" : "failure")
        let members = JSONValue.object(object)
        let line = Data((members.jsonString() + "\n").utf8)
        handle.withLock { $0?.write(line) }
    }
}
