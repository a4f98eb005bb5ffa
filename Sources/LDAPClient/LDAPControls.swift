/// A server-side sort key (RFC 2891). `orderingRule` is needed for attributes without an ORDERING rule
/// (`uid:caseIgnoreOrderingMatch`).
public struct LDAPSortKey: Sendable, Hashable {
    public var attribute: String
    public var orderingRule: String?
    public var reverse: Bool

    public init(_ attribute: String, orderingRule: String? = nil, reverse: Bool = false) {
        self.attribute = attribute
        self.orderingRule = orderingRule
        self.reverse = reverse
    }
}

/// Request controls the client knows how to encode.
public enum LDAPRequestControl: Sendable, Hashable {
    /// Simple Paged Results (RFC 2696); an empty cookie starts a new walk.
    case pagedResults(size: Int, cookie: [UInt8] = [])
    /// Server-Side Sort (RFC 2891), critical.
    case serverSideSort([LDAPSortKey])
    /// Virtual List View by offset (draft-ietf-ldapext-ldapv3-vlv): `offset` is 1-based, `contentCount` 0 when
    /// unknown; needs `serverSideSort` in the same request.
    case virtualListView(before: Int, after: Int, offset: Int, contentCount: Int, context: [UInt8]? = nil)
    /// Assertion (RFC 4528), critical: the operation runs only if the target entry matches the filter.
    case assertion(LDAPFilter)
    /// Pre-Read (RFC 4527): the entry as it was before a modify/delete/modrdn.
    case preRead([String])
    /// Post-Read (RFC 4527): the entry as written by an add/modify/modrdn.
    case postRead([String])
    /// Proxied Authorization v2 (RFC 4370), critical; `authzID` such as `dn:uid=a,ou=people,dc=example,dc=org`.
    case proxiedAuthorization(authzID: String)
    /// Password policy request (draft-behera-ldap-password-policy): asks for the response control.
    case passwordPolicy
    /// Any other control, value already encoded.
    case raw(oid: String, value: [UInt8]?, critical: Bool)
}

/// Password policy response details (draft-behera §6.2).
public struct LDAPPasswordPolicyResult: Sendable, Hashable {
    public enum Failure: Int32, Sendable {
        case passwordExpired = 0
        case accountLocked, changeAfterReset, passwordModNotAllowed, mustSupplyOldPassword,
            insufficientPasswordQuality, passwordTooShort, passwordTooYoung, passwordInHistory, passwordTooLong
    }

    public var failure: Failure?
    public var secondsUntilExpiration: Int?
    public var graceAuthenticationsRemaining: Int?
}

/// Response controls the client knows how to decode.
public struct LDAPResponseControls: Sendable, Hashable {
    /// Simple Paged Results: the cookie for the next page (empty when done) and the server's size estimate.
    public var pagedResultsCookie: [UInt8]?
    public var pagedResultsEstimate: Int?
    /// Server-Side Sort result code (0 = success).
    public var sortResult: LDAPResultCode?
    /// VLV: the 1-based position of the target entry, the server's content count, result and context.
    public var vlvTargetPosition: Int?
    public var vlvContentCount: Int?
    public var vlvResult: LDAPResultCode?
    public var vlvContext: [UInt8]?
    public var preRead: LDAPEntry?
    public var postRead: LDAPEntry?
    public var passwordPolicy: LDAPPasswordPolicyResult?

    public init() {}
}

public enum LDAPControlOID {
    public static let pagedResults = "1.2.840.113556.1.4.319"
    public static let serverSideSort = "1.2.840.113556.1.4.473"
    public static let serverSideSortResponse = "1.2.840.113556.1.4.474"
    public static let virtualListView = "2.16.840.1.113730.3.4.9"
    public static let virtualListViewResponse = "2.16.840.1.113730.3.4.10"
    public static let assertion = "1.3.6.1.1.12"
    public static let preRead = "1.3.6.1.1.13.1"
    public static let postRead = "1.3.6.1.1.13.2"
    public static let proxiedAuthorization = "2.16.840.1.113730.3.4.18"
    public static let passwordPolicy = "1.3.6.1.4.1.42.2.27.8.5.1"
    public static let transactionSpecification = "1.3.6.1.1.21.2"
}
