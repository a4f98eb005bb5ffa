import Foundation
import JWTKit

/// Signs test access tokens with throwaway P-256 keys and publishes their JWKS.
struct TokenFactory {
    struct Claims: JWTPayload {
        var iss: String
        var sub: String
        var aud: [String]
        var exp: Double
        var nbf: Double?
        var iat: Double?
        var scope: String?
        var azp: String?
        var scim_id: String?
        var scim_location: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    let kid: String
    let key: ES256PrivateKey

    init(kid: String) {
        self.kid = kid
        self.key = ES256PrivateKey()
    }

    /// `{"keys":[...]}` with the public halves of `factories`.
    static func jwks(_ factories: [TokenFactory]) -> String {
        let keys = factories.map { factory -> String in
            let parameters = factory.key.publicKey.parameters!
            return #"{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"\#(factory.kid)","x":"\#(parameters.x)","y":"\#(parameters.y)"}"#
        }
        return #"{"keys":[\#(keys.joined(separator: ","))]}"#
    }

    func token(
        issuer: String = "https://idp.test", subject: String = "provisioner", audience: [String] = ["scim-gateway"],
        expiresIn: TimeInterval = 300, scope: String? = "scim", azp: String? = nil, kid: String? = nil,
        scimID: String? = nil, scimLocation: String? = nil
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid ?? self.kid))
        let now = Date().timeIntervalSince1970
        return try await keys.sign(
            Claims(
                iss: issuer, sub: subject, aud: audience, exp: now + expiresIn, nbf: now - 5, iat: now - 5,
                scope: scope, azp: azp, scim_id: scimID,
                scim_location: scimLocation), kid: JWKIdentifier(string: kid ?? self.kid))
    }
}
