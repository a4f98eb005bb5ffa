import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OrderedCollections
import SCIMCore

/// The OpenID Connect profile for SCIM services (openid-connect-scim-profile-1_0, draft-hunt-scim-oidc-profile):
/// the OP's discovery metadata names the SCIM base endpoint (`scim_endpoint`), and its tokens may name the
/// authenticated user's SCIM resource (`scim_id`, and `scim_location`, the resource's URL).
public enum OIDCProfile {
    public static let idClaim = "scim_id"
    public static let locationClaim = "scim_location"
    public static let endpointMetadata = "scim_endpoint"

    /// Where the gateway serves its half of discovery: the metadata member the OP's
    /// `/.well-known/openid-configuration` should carry (the gateway is not the OP and does not serve that).
    public static let discoveryPath = "/.well-known/scim-configuration"

    /// The metadata document: `scim_endpoint` is the SCIM base URL, plus the /Me endpoint the profile's clients use
    /// and the claims the gateway honours.
    static func discoveryDocument(publicBaseURL: String) -> JSONValue {
        .object([
            endpointMetadata: .string(publicBaseURL),
            "scim_me_endpoint": .string(publicBaseURL + "/Me"),
            "scim_claims_supported": .array([.string(idClaim), .string(locationClaim)]),
        ])
    }

    /// The document as plain JSON (it is OAuth metadata, not a SCIM message).
    static func response(_ document: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: document.jsonBytes())))
    }

    /// The SCIM id a user token names through the profile's claims, nil when it carries neither. `scim_location`
    /// must be a user resource of this gateway (`usersURL/<id>`), and agree with `scim_id` when both are present:
    /// a token naming a resource elsewhere is refused, not mapped by its subject instead.
    static func userID(scimID: String?, location: String?, usersURL: String) throws(JWTVerifier.Rejection) -> String? {
        let scimID = scimID.flatMap { $0.isEmpty ? nil : $0 }
        guard let location, !location.isEmpty else { return scimID }
        let prefix = usersURL + "/"
        guard location.count > prefix.count, location.lowercased().hasPrefix(prefix.lowercased()) else {
            throw JWTVerifier.Rejection(description: "\(locationClaim) names no user resource of this service")
        }
        let id = String(location.dropFirst(prefix.count))
        guard !id.contains("/"), !id.contains("?"), !id.contains("#"), let decoded = id.removingPercentEncoding, !decoded.isEmpty else {
            throw JWTVerifier.Rejection(description: "\(locationClaim) names no user resource of this service")
        }
        if let scimID, scimID != decoded {
            throw JWTVerifier.Rejection(description: "\(idClaim) and \(locationClaim) name different users")
        }
        return decoded
    }
}
