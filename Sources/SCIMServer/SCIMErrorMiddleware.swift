import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OrderedCollections
import SCIMCore
import Synchronization

/// Gives every request an id and renders every error — SCIM errors, Hummingbird's own (unknown routes, oversized
/// bodies), and anything unexpected — as an `application/scim+json` error. Unexpected errors are logged and
/// answered with a generic 500: no internals reach the client.
struct SCIMErrorMiddleware: RouterMiddleware {
    typealias Context = SCIMRequestContext
    static let requestIDHeader = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        let incoming = request.headers[Self.requestIDHeader].flatMap { $0.count <= 128 && $0.allSatisfy(\.isASCII) ? $0 : nil }
        context.requestID = incoming ?? RequestID.next()
        context.logger[metadataKey: "request.id"] = .string(context.requestID)
        var response: Response
        do {
            // The store logs to `context.storeContext.logger`; the LDAP pool, whose calls take no logger, reads the
            // request id from here (`RequestLogMetadata`).
            response = try await RequestLogMetadata.$requestID.withValue(context.requestID) {
                try await next(request, context)
            }
        } catch let error as SCIMError {
            response = SCIMResponse.error(error)
            if let wait = error.retryAfter {
                response.headers[.retryAfter] = String(wait)
            } else if error.status == 503 {
                response.headers[.retryAfter] = "5"
            }
        } catch let error as UnauthorizedError {
            response = SCIMResponse.error(.unauthorized(error.detail))
            for challenge in error.challenges { response.headers.append(HTTPField(name: .wwwAuthenticate, value: challenge)) }
        } catch let error as HTTPError {
            response = SCIMResponse.error(Self.scimError(for: error.status, message: error.body))
        } catch let error as any HTTPResponseError {
            response = SCIMResponse.error(Self.scimError(for: error.status, message: nil))
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            response = SCIMResponse.error(.internal())
        }
        response.headers[Self.requestIDHeader] = context.requestID
        // One line per request at debug (writes are logged at info by the controllers, and audited).
        context.logger.debug(
            "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            ])
        return response
    }

    static func scimError(for status: HTTPResponse.Status, message: String?) -> SCIMError {
        switch status.code {
        case 404: .notFound("No such endpoint or resource.")
        case 405: .methodNotAllowed()
        case 413: .payloadTooLarge()
        case 400: .invalidSyntax(message ?? "The request is malformed.")
        case 401: .unauthorized()
        case 403: .forbidden()
        case 500...: .internal()
        default: SCIMError(status: Int(status.code), detail: status.reasonPhrase)
        }
    }
}

/// Short, unique request ids: a per-process random prefix and a counter.
enum RequestID {
    private static let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    private static let counter = Counter()

    static func next() -> String { "\(prefix)-\(counter.increment())" }

    private final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
    }
}
