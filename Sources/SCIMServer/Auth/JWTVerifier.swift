import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import JWTKit
import Logging

/// Checks access tokens for one set of `JWTSettings`. The key set comes from a file or URL, is cached, and is
/// refetched (at most every `minimumRefetch`) when a token is signed by a key it does not hold, so an IdP's key
/// rotation needs no restart.
public final class JWTVerifier: Sendable {
    public struct Rejection: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let settings: JWTSettings
    private let source: JWKSSource

    public init(settings: JWTSettings) {
        self.settings = settings
        self.source = JWKSSource(settings: settings)
    }

    /// The verified claims, or a `Rejection` naming the failed check (for the log; clients get a generic 401).
    public func verify(_ token: String, now: Date = Date()) async throws -> AccessTokenClaims {
        let claims: AccessTokenClaims
        do {
            claims = try await source.keys(refresh: false).verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError
            where error.errorType == .unknownKID || error.errorType == .signatureVerificationFailed
            || error.errorType == .missingKIDHeader
        {
            // Perhaps the IdP rotated its keys: refetch once (rate-limited) and try again.
            guard let keys = try await source.keys(refresh: true) else { throw Rejection(description: "signature: \(error.errorType)") }
            do {
                claims = try await keys.verify(token, as: AccessTokenClaims.self)
            } catch {
                throw Rejection(description: "signature: \(error)")
            }
        } catch let rejection as Rejection {
            throw rejection
        } catch {
            throw Rejection(description: "token: \(error)")
        }
        try check(claims, now: now)
        return claims
    }

    func check(_ claims: AccessTokenClaims, now: Date) throws {
        guard claims.iss == settings.issuer else { throw Rejection(description: "issuer \(claims.iss ?? "-")") }
        guard let audiences = claims.aud?.value, audiences.contains(where: settings.audiences.contains) else {
            throw Rejection(description: "audience")
        }
        let time = now.timeIntervalSince1970
        guard let exp = claims.exp else { throw Rejection(description: "no exp") }
        guard exp + settings.clockSkew > time else { throw Rejection(description: "expired") }
        if let nbf = claims.nbf, nbf - settings.clockSkew > time { throw Rejection(description: "not yet valid") }
        if let iat = claims.iat, iat - settings.clockSkew > time { throw Rejection(description: "issued in the future") }
        if let maxLifetime = settings.maxLifetime, exp - (claims.iat ?? claims.nbf ?? time) > maxLifetime + settings.clockSkew {
            throw Rejection(description: "lifetime too long")
        }
        let missing = Set(settings.requiredScopes).subtracting(claims.scopes)
        guard missing.isEmpty else { throw Rejection(description: "missing scopes \(missing.sorted().joined(separator: " "))") }
        if let claim = settings.matchClaim, claims.strings[claim] != settings.matchValue {
            throw Rejection(description: "\(claim) does not match")
        }
    }
}

/// The key set of one issuer: read from a file once, or fetched from a URL and cached.
actor JWKSSource {
    let settings: JWTSettings
    private var cached: JWTKeyCollection?
    private var fetched: Date?
    private var lastAttempt: Date?

    init(settings: JWTSettings) { self.settings = settings }

    /// The keys; `refresh` asks for a refetch (honoured at most every `minimumRefetch`). Nil when a refresh was
    /// not due.
    func keys(refresh: Bool) async throws -> JWTKeyCollection! {
        let now = Date()
        if refresh {
            if let lastAttempt, now.timeIntervalSince(lastAttempt) < settings.minimumRefetch { return nil }
        } else if let cached, let fetched, now.timeIntervalSince(fetched) < settings.cacheLifetime {
            return cached
        } else if let cached, settings.jwksURL == nil {
            return cached
        }
        lastAttempt = now
        let data: Data
        if let file = settings.jwksFile {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } else if let text = settings.jwksURL, let url = URL(string: text) {
            var request = URLRequest(url: url, timeoutInterval: 5)
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            let (body, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200, body.count < 1 << 20 else {
                if let cached { return cached }
                throw JWTVerifier.Rejection(description: "JWKS fetch failed")
            }
            data = body
        } else {
            throw JWTVerifier.Rejection(description: "no JWKS configured")
        }
        let collection = JWTKeyCollection()
        do {
            try await collection.add(jwksJSON: String(decoding: data, as: UTF8.self))
        } catch {
            if let cached { return cached }
            throw JWTVerifier.Rejection(description: "JWKS unreadable: \(error)")
        }
        cached = collection
        fetched = now
        return collection
    }
}
