import Logging
import SCIMCore

/// User-bound credentials, which serve /Me only: JWTs whose subject is a user, and (off by default) HTTP Basic
/// checked by an LDAP bind as that user.
public struct UserAuthentication: Sendable {
    public var jwt: JWTVerifier?
    /// The claim naming the user (default `sub`) and the SCIM attribute it equals (default `userName`).
    public var subjectClaim: String
    public var userAttribute: String
    public var basic: Bool
    /// What a user may do to their own resource (default read and update).
    public var policy: AccessPolicy
    public var rateLimit: RateLimiter.Limit?

    public init(
        jwt: JWTVerifier? = nil, subjectClaim: String = "sub", userAttribute: String = "userName", basic: Bool = false,
        policy: AccessPolicy = AccessPolicy(operations: [.read, .update], readOnlyAttributes: []),
        rateLimit: RateLimiter.Limit? = nil
    ) {
        self.jwt = jwt
        self.subjectClaim = subjectClaim
        self.userAttribute = userAttribute
        self.basic = basic
        self.policy = policy
        self.rateLimit = rateLimit
    }

    public var isEnabled: Bool { jwt != nil || basic }
}

/// How the HTTP layer finds users: the SCIM id of the user whose `attribute` equals `value`, and a password check
/// (an LDAP bind) for Basic. Both log to the request's logger and look in the whole directory (no client scope:
/// they run before there is a principal).
public struct UserDirectory: Sendable {
    public var lookup: @Sendable (_ attribute: String, _ value: String, _ logger: Logger) async throws -> String?
    public var verifyPassword: (@Sendable (_ userName: String, _ password: String, _ logger: Logger) async throws -> String?)?

    public init(
        lookup: @escaping @Sendable (String, String, Logger) async throws -> String?,
        verifyPassword: (@Sendable (String, String, Logger) async throws -> String?)?
    ) {
        self.lookup = lookup
        self.verifyPassword = verifyPassword
    }
}
