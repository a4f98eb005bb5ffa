import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SCIMCore

/// Authenticates every request but the health checks and records the principal in the request context (whose
/// `storeContext` then carries its `RequestScope` to every store call):
/// - `Bearer <token>`: a client's static token (SHA-256 compared in constant time), a client's OAuth access token
///   (JWT: signature, issuer, audience, expiry, scopes), or a user's JWT (for /Me);
/// - `Basic`: a user's password, checked by the directory, when enabled (for /Me).
/// Failures are 401 with `WWW-Authenticate`; the reason goes to the debug log, never to the client, and no token
/// is ever logged. Clients over their rate limit get 429 with Retry-After.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = SCIMRequestContext
    let clients: [BearerClient]
    let users: UserAuthentication
    let directory: UserDirectory?
    let limiter: RateLimiter
    /// Paths that need no authentication (health checks).
    let openPaths: Set<String>
    /// Paths a user credential may use besides /Me (discovery).
    let basePath: String
    /// Rate-limit refusals are counted here.
    var metrics: ServerMetrics = .disabled
    /// The public URL of the Users endpoint, which a token's `scim_location` must name (OpenID Connect profile).
    var usersURL = ""

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        var context = context
        guard let header = request.headers[.authorization], header.utf8.count <= 16_384 else {
            throw UnauthorizedError(detail: "Authentication is required.", basic: users.basic)
        }
        let lower = header.prefix(7).lowercased()
        if lower == "bearer " {
            try await authenticateBearer(Self.trimmingSpaces(header.dropFirst(7)), &context)
        } else if lower.hasPrefix("basic "), users.basic {
            try await authenticateBasic(Self.trimmingSpaces(header.dropFirst(6)), &context)
        } else {
            throw UnauthorizedError(detail: "Authentication is required.", basic: users.basic)
        }
        if context.isUser {
            let path = request.uri.path
            let discovery = ["ServiceProviderConfig", "ResourceTypes", "Schemas"].contains { path.hasPrefix("\(basePath)/\($0)") }
            guard path == "\(basePath)/Me" || path == "\(basePath)/Me/password" || discovery else {
                throw SCIMError.forbidden("A user credential serves /Me only.")
            }
        }
        return try await next(request, context)
    }

    /// Credentials without the spaces and tabs around them (an HTTP header value's optional whitespace).
    static func trimmingSpaces(_ text: Substring) -> String {
        let bytes = text.utf8
        let kept: (UInt8) -> Bool = { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: kept), let last = bytes.lastIndex(where: kept) else { return "" }
        return String(text[first...last])
    }

    private func authenticateBearer(_ token: String, _ context: inout Context) async throws {
        guard !token.isEmpty else { throw UnauthorizedError(detail: "The bearer token is not valid.", basic: users.basic) }
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var matched: BearerClient?
        for client in clients where Self.constantTimeEquals(client.tokenSHA256, digest) { matched = client }
        if let client = matched { return try admit(client, &context) }
        guard let issuer = AccessTokenClaims.unverifiedIssuer(of: token) else {
            throw UnauthorizedError(detail: "The bearer token is not valid.", basic: users.basic, invalidToken: true)
        }
        for client in clients {
            guard let verifier = client.jwt, verifier.settings.issuer == issuer else { continue }
            do {
                _ = try await verifier.verify(token)
                return try admit(client, &context)
            } catch {
                context.logger.debug("access token refused", metadata: ["client": "\(client.name)", "reason": "\(error)"])
            }
        }
        if let verifier = users.jwt, verifier.settings.issuer == issuer {
            do {
                let claims = try await verifier.verify(token)
                // The OpenID Connect profile for SCIM: `scim_id` / `scim_location` name the user's resource directly.
                if let id = try OIDCProfile.userID(
                    scimID: claims.strings[OIDCProfile.idClaim],
                    location: claims.strings[OIDCProfile.locationClaim], usersURL: usersURL)
                {
                    return try await admitUser(id, &context, byID: true)
                }
                guard let subject = claims.strings[users.subjectClaim], !subject.isEmpty else {
                    throw JWTVerifier.Rejection(description: "no \(users.subjectClaim) claim")
                }
                return try await admitUser(subject, &context)
            } catch let error as JWTVerifier.Rejection {
                context.logger.debug("user token refused", metadata: ["reason": "\(error)"])
            }
        }
        throw UnauthorizedError(detail: "The bearer token is not valid.", basic: users.basic, invalidToken: true)
    }

    private func authenticateBasic(_ encoded: String, _ context: inout Context) async throws {
        guard encoded.utf8.count <= 4096, let data = Data(base64Encoded: encoded),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":"),
            let verify = directory?.verifyPassword
        else { throw UnauthorizedError(detail: "The credentials are not valid.", basic: true) }
        let userName = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        // Throttle guessing per user name before the directory is asked (its own lockout applies too).
        if let limit = users.rateLimit, let wait = limiter.take("basic:" + userName.lowercased(), limit: limit) {
            metrics.recordRateLimitRefusal(client: "me")
            throw SCIMError.tooManyRequests(retryAfter: wait)
        }
        guard let id = try await verify(userName, password, context.logger) else {
            context.logger.debug("basic credentials refused")
            throw UnauthorizedError(detail: "The credentials are not valid.", basic: true)
        }
        context.isUser = true
        context.actingUserID = id
        context.principalLabel?.set("me")
        context.clientName = "user:\(userName)"
        context.policy = users.policy
        context.logger[metadataKey: "client"] = .string("user:\(userName)")
    }

    private func admit(_ client: BearerClient, _ context: inout Context) throws {
        context.principalLabel?.set(client.name)
        if let limit = client.rateLimit, let wait = limiter.take(client.name, limit: limit) {
            metrics.recordRateLimitRefusal(client: client.name)
            throw SCIMError.tooManyRequests(retryAfter: wait)
        }
        context.clientName = client.name
        context.strictNoTarget = client.strictNoTarget
        context.policy = client.policy
        context.logger[metadataKey: "client"] = .string(client.name)
    }

    private func admitUser(_ subject: String, _ context: inout Context, byID: Bool = false) async throws {
        context.principalLabel?.set("me")
        if let limit = users.rateLimit, let wait = limiter.take("user:" + subject, limit: limit) {
            metrics.recordRateLimitRefusal(client: "me")
            throw SCIMError.tooManyRequests(retryAfter: wait)
        }
        context.isUser = true
        // By id: still looked up, so a token naming no (or no longer a) user reaches nothing.
        context.actingUserID = try await directory?.lookup(byID ? "id" : users.userAttribute, subject, context.logger)
        context.clientName = "user:\(subject)"
        context.policy = users.policy
        context.logger[metadataKey: "client"] = .string("user:\(subject)")
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
    var basic = false
    var invalidToken = false

    var challenges: [String] {
        var out = [invalidToken ? #"Bearer realm="scim", error="invalid_token""# : #"Bearer realm="scim""#]
        if basic { out.append(#"Basic realm="scim", charset="UTF-8""#) }
        return out
    }
}
