import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// A client allowed to call the API with a static bearer token, stored only as its SHA-256 hash.
public struct BearerClient: Sendable {
    public var name: String
    /// The token's SHA-256 digest (32 bytes).
    public var tokenSHA256: [UInt8]
    /// Compatibility switches for clients that need the RFC's strict reading where the default is lenient.
    public var strictNoTarget = false

    public init(name: String, tokenSHA256: [UInt8], strictNoTarget: Bool = false) {
        self.name = name
        self.tokenSHA256 = tokenSHA256
        self.strictNoTarget = strictNoTarget
    }

    /// Parses `sha256:<64 hex digits>` (the config file's form).
    public init?(name: String, hashString: String) {
        let prefix = "sha256:"
        guard hashString.lowercased().hasPrefix(prefix) else { return nil }
        let hex = Array(hashString.dropFirst(prefix.count).utf8)
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: hex[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(name: name, tokenSHA256: bytes)
    }

    /// `sha256:<hex>` of a token, for the config file.
    public static func hashString(of token: String) -> String {
        "sha256:" + SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Checks `Authorization: Bearer <token>` against the configured clients by hash, in constant time per client.
/// Failures are 401 with `WWW-Authenticate` and a SCIM error body.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = SCIMRequestContext
    let clients: [BearerClient]
    /// Paths that need no authentication (health checks).
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count > 7,
              header.prefix(7).lowercased() == "bearer "
        else {
            throw UnauthorizedError(detail: "Authentication is required.")
        }
        let digest = Array(SHA256.hash(data: Data(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)))
        var matched: BearerClient?
        for client in clients where Self.constantTimeEquals(client.tokenSHA256, digest) { matched = client }
        guard let client = matched else { throw UnauthorizedError(detail: "The bearer token is not valid.") }
        var context = context
        context.clientName = client.name
        context.strictNoTarget = client.strictNoTarget
        context.logger[metadataKey: "client"] = .string(client.name)
        return try await next(request, context)
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

/// 401 with a challenge; rendered by `SCIMErrorMiddleware`.
struct UnauthorizedError: Error {
    let detail: String
}
