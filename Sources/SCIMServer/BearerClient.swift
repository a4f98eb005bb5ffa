import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrderedCollections
import SCIMCore

/// A client allowed to call the API: with a static bearer token (stored only as its SHA-256 hash; empty for
/// none) and/or OAuth 2.0 access tokens checked by `jwt`.
public struct BearerClient: Sendable {
    public var name: String
    /// The token's SHA-256 digest (32 bytes).
    public var tokenSHA256: [UInt8]
    /// Compatibility switches for clients that need the RFC's strict reading where the default is lenient.
    public var strictNoTarget = false
    /// OAuth 2.0 access tokens (JWTs) that identify this client.
    public var jwt: JWTVerifier?
    public var policy: AccessPolicy = .unrestricted
    public var rateLimit: RateLimiter.Limit?

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
