import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OrderedCollections
import SCIMCore

/// Building `application/scim+json` responses.
enum SCIMResponse {
    static let contentType = "application/scim+json; charset=utf-8"

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }

    static func error(_ error: SCIMError) -> Response {
        if error.status == 304 { return Response(status: .notModified) }
        return json(error.body, status: HTTPResponse.Status(code: error.status))
    }
}
