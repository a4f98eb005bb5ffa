import Foundation
import JWTKit

/// The claims the gateway reads from an access token. Signature checking is jwt-kit's; the claims are checked by
/// `JWTVerifier` against the client's settings (so the error says which check failed, for the log).
public struct AccessTokenClaims: JWTPayload {
    public var iss: String?
    public var sub: String?
    public var aud: AudienceClaim?
    public var exp: Double?
    public var nbf: Double?
    public var iat: Double?
    public var scope: String?
    public var scp: [String]?
    public var azp: String?
    public var clientID: String?
    /// Every string-valued claim, for `matchClaim` and the /Me subject claim.
    public var strings: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, exp, nbf, iat, scope, scp, azp
        case clientID = "client_id"
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        iss = try? c.decodeIfPresent(String.self, forKey: .iss)
        sub = try? c.decodeIfPresent(String.self, forKey: .sub)
        aud = try? c.decodeIfPresent(AudienceClaim.self, forKey: .aud)
        exp = try? c.decodeIfPresent(Double.self, forKey: .exp)
        nbf = try? c.decodeIfPresent(Double.self, forKey: .nbf)
        iat = try? c.decodeIfPresent(Double.self, forKey: .iat)
        scope = try? c.decodeIfPresent(String.self, forKey: .scope)
        if let list = try? c.decodeIfPresent([String].self, forKey: .scp) {
            scp = list
        } else if let single = try? c.decodeIfPresent(String.self, forKey: .scp) {
            scp = single.split(separator: " ").map(String.init)
        }
        azp = try? c.decodeIfPresent(String.self, forKey: .azp)
        clientID = try? c.decodeIfPresent(String.self, forKey: .clientID)
        let all = try decoder.container(keyedBy: AnyKey.self)
        for key in all.allKeys {
            if let text = try? all.decode(String.self, forKey: key) { strings[key.stringValue] = text }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(iss, forKey: .iss)
        try c.encodeIfPresent(sub, forKey: .sub)
        try c.encodeIfPresent(aud, forKey: .aud)
        try c.encodeIfPresent(exp, forKey: .exp)
        try c.encodeIfPresent(nbf, forKey: .nbf)
        try c.encodeIfPresent(scope, forKey: .scope)
    }

    /// Claims are checked by `JWTVerifier` after the signature.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    public var scopes: Set<String> {
        Set((scope?.split(separator: " ").map(String.init) ?? []) + (scp ?? []))
    }

    /// The `iss` of a token, read without checking anything (to pick the settings that will check it).
    public static func unverifiedIssuer(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count < 16_384 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["iss"] as? String
    }
}
