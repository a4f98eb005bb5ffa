import Foundation
import Hummingbird
import Logging
import NIOCore
import OrderedCollections
import SCIMCore

/// Reading request bodies: bounded size, JSON media types only, bounded nesting.
enum SCIMBody {
    static func read(_ request: Request, context: SCIMRequestContext, configuration: SCIMServerConfiguration)
        async throws -> JSONValue
    {
        if let type = request.headers[.contentType]?.lowercased(), !type.contains("json") {
            throw SCIMError(status: 415, scimType: nil, detail: "Send application/scim+json or application/json.")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw SCIMError.payloadTooLarge("The body exceeds \(configuration.maxBodyBytes) bytes.")
        }
        return try JSONValue.parse(
            Data(buffer.readableBytesView), maxDepth: configuration.maxJSONDepth,
            maxBytes: configuration.maxBodyBytes)
    }
}
