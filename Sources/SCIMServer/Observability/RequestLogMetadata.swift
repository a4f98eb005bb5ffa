import Logging

/// The request id of the task's request, for loggers that are given no request logger: the LDAP client's (the
/// pool connects, retries and warns on behalf of whichever caller waits, and its calls take no logger). The
/// application's loggers carry `provider`, and `SCIMErrorMiddleware` binds `requestID` around each request, so a
/// line the pool logs while a request runs names it as `request.id`. The store needs none of this: each of its
/// calls is given the request's logger (`StoreContext`).
public enum RequestLogMetadata {
    @TaskLocal public static var requestID: String?

    public static let provider = Logger.MetadataProvider {
        guard let id = requestID else { return [:] }
        return ["request.id": .string(id)]
    }
}
