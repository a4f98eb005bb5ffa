import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text exposition of the application's registry, optionally behind a bearer token
/// of its own (`metrics.token`), compared as SHA-256 digests in constant time. SCIM client tokens are not accepted
/// here, and this token is not accepted by the SCIM API.
public struct MetricsEndpoint: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Produces the exposition text.
    let render: @Sendable () -> [UInt8]
    /// SHA-256 of the token scrapers must send, or nil for an open endpoint.
    let tokenSHA256: [UInt8]?

    public init(token: String?, render: @escaping @Sendable () -> [UInt8]) {
        self.render = render
        self.tokenSHA256 = token.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    /// Whether a request's `Authorization` header may read the metrics.
    public func admits(authorization: String?) -> Bool {
        guard let expected = tokenSHA256 else { return true }
        guard let header = authorization, header.utf8.count <= 4096, header.prefix(7).lowercased() == "bearer " else {
            return false
        }
        let token = AuthenticationMiddleware.trimmingSpaces(header.dropFirst(7))
        return AuthenticationMiddleware.constantTimeEquals(Array(SHA256.hash(data: Data(token.utf8))), expected)
    }

    /// The response to a scrape: the exposition, or 401 with a Bearer challenge.
    public func response(authorization: String?) -> Response {
        guard admits(authorization: authorization) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = #"Bearer realm="metrics""#
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: .init(string: "unauthorized\n")))
        }
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(bytes: render())))
    }

    /// Serves `GET /metrics` on a router of any context (the main listener's or the metrics listener's own).
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("metrics") { request, _ in
            self.response(authorization: request.headers[.authorization])
        }
    }
}
