/// The `scimType` values of RFC 7644 §3.12, Table 9.
public enum SCIMErrorType: String, Sendable, Hashable, CaseIterable, Codable {
    /// The filter syntax is invalid or the filter names something it may not.
    case invalidFilter
    /// The filter yields more results than the server is willing to process.
    case tooMany
    /// One or more unique attribute values are already in use.
    case uniqueness
    /// The modification is incompatible with the attribute's mutability.
    case mutability
    /// The request body does not conform to the request schema.
    case invalidSyntax
    /// The `path` attribute is invalid or malformed.
    case invalidPath
    /// The `path` did not yield an attribute or value that could be operated on.
    case noTarget
    /// A required value is missing or a value is incompatible with the attribute.
    case invalidValue
    /// The protocol version is not supported.
    case invalidVers
    /// The request carried sensitive information in the URI.
    case sensitive

    /// The HTTP status RFC 7644 pairs with this scimType.
    public var status: Int {
        switch self {
        case .uniqueness: 409
        case .sensitive: 403
        default: 400
        }
    }
}
