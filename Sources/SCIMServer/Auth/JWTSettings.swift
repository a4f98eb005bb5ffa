import Foundation

/// How OAuth 2.0 access tokens (JWTs) are checked: signature against a JWKS (file or URL), issuer, audience,
/// expiry and not-before with bounded clock skew, and required scopes.
public struct JWTSettings: Sendable {
    public var issuer: String
    /// The token's `aud` must contain one of these.
    public var audiences: [String]
    public var jwksFile: String?
    public var jwksURL: String?
    /// Each of these must appear in `scope` (space-separated) or `scp` (string or array).
    public var requiredScopes: [String]
    public var clockSkew: TimeInterval
    /// Tokens must carry `exp`; lifetimes longer than this are refused (nil: any).
    public var maxLifetime: TimeInterval?
    /// A key set fetched from a URL is refetched after this long, and at most every `minimumRefetch` when a
    /// token names an unknown key (rotation).
    public var cacheLifetime: TimeInterval
    public var minimumRefetch: TimeInterval
    /// Optional: a claim (e.g. `azp`, `client_id`, `sub`) that must equal `value` for the token to identify
    /// this client, when one issuer serves several clients.
    public var matchClaim: String?
    public var matchValue: String?

    public init(
        issuer: String, audiences: [String], jwksFile: String? = nil, jwksURL: String? = nil,
        requiredScopes: [String] = [], clockSkew: TimeInterval = 60, maxLifetime: TimeInterval? = nil,
        cacheLifetime: TimeInterval = 3600, minimumRefetch: TimeInterval = 30, matchClaim: String? = nil,
        matchValue: String? = nil
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.jwksFile = jwksFile
        self.jwksURL = jwksURL
        self.requiredScopes = requiredScopes
        self.clockSkew = min(max(clockSkew, 0), 300)
        self.maxLifetime = maxLifetime
        self.cacheLifetime = cacheLifetime
        self.minimumRefetch = minimumRefetch
        self.matchClaim = matchClaim
        self.matchValue = matchValue
    }
}
