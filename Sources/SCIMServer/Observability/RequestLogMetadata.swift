import Logging

/// The request id of the task's request, for every logger of the process — the storage layer's and the LDAP
/// pool's too, which take no request logger: the application's loggers carry `provider`, and
/// `SCIMErrorMiddleware` binds `requestID` around each request, so any line logged while the request runs (its
/// child tasks included) names it as `request.id`.
public enum RequestLogMetadata {
    @TaskLocal public static var requestID: String?

    public static let provider = Logger.MetadataProvider {
        guard let id = requestID else { return [:] }
        return ["request.id": .string(id)]
    }
}
