import OrderedCollections

/// An error that describes its own SCIM response (RFC 7644 §3.12).
///
/// `detail` is sent to the client, so it must never carry backend diagnostics (DNs, stack
/// traces). `description` deliberately omits it so that logging or interpolating the error
/// does not leak it either; use `debugDescription` where the detail is wanted.
public struct SCIMError: Error, Sendable, Hashable {
    public static let schemaURN = "urn:ietf:params:scim:api:messages:2.0:Error"

    public var status: Int
    public var scimType: SCIMErrorType?
    public var detail: String
    /// Seconds for a `Retry-After` header (429, 503).
    public var retryAfter: Int?

    public init(status: Int, scimType: SCIMErrorType? = nil, detail: String, retryAfter: Int? = nil) {
        self.status = status
        self.scimType = scimType
        self.detail = detail
        self.retryAfter = retryAfter
    }

    /// The error body: `schemas`, `scimType` (when set), `detail`, and `status` as a string.
    public var body: JSONValue {
        var members: [(String, JSONValue)] = [("schemas", [.string(Self.schemaURN)])]
        if let scimType { members.append(("scimType", .string(scimType.rawValue))) }
        members.append(("detail", .string(detail)))
        members.append(("status", .string(String(status))))
        return .object(.init(uniqueKeysWithValues: members))
    }
}

extension SCIMError {
    /// 400 with the given scimType.
    public static func badRequest(_ type: SCIMErrorType?, _ detail: String) -> SCIMError {
        SCIMError(status: 400, scimType: type, detail: detail)
    }

    public static func invalidFilter(_ detail: String) -> SCIMError { .badRequest(.invalidFilter, detail) }

    /// 429: the client sent more requests than its rate limit allows.
    public static func tooManyRequests(retryAfter: Int) -> SCIMError {
        SCIMError(status: 429, detail: "Too many requests; retry after \(retryAfter) s.", retryAfter: retryAfter)
    }
    public static func invalidSyntax(_ detail: String) -> SCIMError { .badRequest(.invalidSyntax, detail) }
    public static func invalidPath(_ detail: String) -> SCIMError { .badRequest(.invalidPath, detail) }
    public static func invalidValue(_ detail: String) -> SCIMError { .badRequest(.invalidValue, detail) }
    public static func noTarget(_ detail: String) -> SCIMError { .badRequest(.noTarget, detail) }
    public static func mutability(_ detail: String) -> SCIMError { .badRequest(.mutability, detail) }
    public static func tooMany(_ detail: String) -> SCIMError { .badRequest(.tooMany, detail) }
    public static func invalidVersion(_ detail: String) -> SCIMError { .badRequest(.invalidVers, detail) }

    /// 304, for conditional GETs whose ETag matched.
    public static func notModified() -> SCIMError { SCIMError(status: 304, detail: "Not modified.") }
    public static func unauthorized(_ detail: String = "Authentication is required.") -> SCIMError {
        SCIMError(status: 401, detail: detail)
    }
    public static func forbidden(_ detail: String = "The operation is not permitted.") -> SCIMError {
        SCIMError(status: 403, detail: detail)
    }
    /// 403 `sensitive`: sensitive data in the request URI.
    public static func sensitive(_ detail: String) -> SCIMError {
        SCIMError(status: 403, scimType: .sensitive, detail: detail)
    }
    public static func notFound(_ detail: String = "Resource not found.") -> SCIMError {
        SCIMError(status: 404, detail: detail)
    }
    public static func methodNotAllowed(_ detail: String = "Method not allowed.") -> SCIMError {
        SCIMError(status: 405, detail: detail)
    }
    /// 409 `uniqueness`.
    public static func conflict(_ detail: String) -> SCIMError {
        SCIMError(status: 409, scimType: .uniqueness, detail: detail)
    }
    /// 412: an `If-Match` precondition failed.
    public static func preconditionFailed(_ detail: String = "The resource has been modified.") -> SCIMError {
        SCIMError(status: 412, detail: detail)
    }
    public static func payloadTooLarge(_ detail: String = "The request is too large.") -> SCIMError {
        SCIMError(status: 413, detail: detail)
    }
    /// 500 with a fixed, generic detail; log the cause separately.
    public static func `internal`() -> SCIMError {
        SCIMError(status: 500, detail: "An internal error occurred.")
    }
    public static func notImplemented(_ detail: String = "Not implemented.") -> SCIMError {
        SCIMError(status: 501, detail: detail)
    }
    /// 503 with a generic detail, for an unreachable backend.
    public static func unavailable(_ detail: String = "The service is temporarily unavailable.") -> SCIMError {
        SCIMError(status: 503, detail: detail)
    }
}

extension SCIMError: CustomStringConvertible, CustomDebugStringConvertible {
    /// Status and scimType only; never the detail.
    public var description: String {
        if let scimType { return "SCIMError(\(status), \(scimType.rawValue))" }
        return "SCIMError(\(status))"
    }

    public var debugDescription: String {
        description + ": " + detail
    }
}
