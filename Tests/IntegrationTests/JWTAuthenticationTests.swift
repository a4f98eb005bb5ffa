import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SCIMApp
import SCIMCore
import Synchronization
import Testing

/// OAuth 2.0 access tokens (client credentials from an IdP) checked with jwt-kit against a JWKS: signature,
/// issuer, audience, expiry with bounded skew, scopes; key rotation through a JWKS URL.
@Suite("OAuth access tokens (JWT)")
struct JWTAuthenticationTests {
    static func headers(_ token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "application/scim+json"]
    }

    @Test func tokensAreCheckedClaimByClaim() async throws {
        let signer = TokenFactory(kid: "k1")
        let stranger = TokenFactory(kid: "k1")  // same kid, other key: a forged signature
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jwks = folder.appendingPathComponent("jwks.json")
        try TokenFactory.jwks([signer]).write(to: jwks, atomically: true, encoding: .utf8)
        let harness = try await GatewayHarness.start { config in
            var client = GatewayConfig.Client(name: "idp-client", tokenHash: nil)
            var jwt = GatewayConfig.JWT(issuer: "https://idp.test", audience: ["scim-gateway"], jwksFile: jwks.path)
            jwt.requiredScopes = ["scim"]
            jwt.clockSkewSeconds = 60
            client.jwt = jwt
            config.clients.append(client)
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            func status(_ token: String) async throws -> (HTTPResponse.Status, String?) {
                let response = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: Self.headers(token))
                return (response.status, response.headers[.wwwAuthenticate])
            }
            #expect(try await status(try await signer.token()).0 == .ok)
            // Expired 30 s ago: within the 60 s skew. Two minutes ago: refused.
            #expect(try await status(try await signer.token(expiresIn: -30)).0 == .ok)
            let expired = try await status(try await signer.token(expiresIn: -120))
            #expect(expired.0 == .unauthorized)
            #expect(expired.1?.contains(#"error="invalid_token""#) == true)
            #expect(try await status(try await signer.token(audience: ["someone-else"])).0 == .unauthorized)
            #expect(try await status(try await signer.token(issuer: "https://evil.test")).0 == .unauthorized)
            #expect(try await status(try await signer.token(scope: "openid profile")).0 == .unauthorized)
            #expect(try await status(try await stranger.token()).0 == .unauthorized)
            #expect(try await status("not.a.jwt").0 == .unauthorized)
            let body = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: Self.headers(try await signer.token(expiresIn: -120)))
            #expect(body.json?["status"]?.stringValue == "401")
            #expect(body.headers[.contentType]?.hasPrefix("application/scim+json") == true)
        }
    }

    /// A tiny JWKS endpoint whose keys can be swapped (the IdP rotating its signing key).
    final class JWKSServer: Sendable {
        let document = Mutex("")
        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.get("jwks") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: self.document.withLock { $0 })))
            }
            return router
        }
    }

    @Test func keyRotationThroughAJWKSURL() async throws {
        let old = TokenFactory(kid: "2025"), new = TokenFactory(kid: "2026")
        let jwks = JWKSServer()
        jwks.document.withLock { $0 = TokenFactory.jwks([old]) }
        let app = Application(router: jwks.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { server in
            let url = "http://127.0.0.1:\(server.port!)/jwks"
            let harness = try await GatewayHarness.start { config in
                var client = GatewayConfig.Client(name: "rotating", tokenHash: nil)
                var jwt = GatewayConfig.JWT(issuer: "https://idp.test", audience: ["scim-gateway"], jwksURL: url)
                jwt.minimumRefetchSeconds = 0
                client.jwt = jwt
                config.clients.append(client)
            }
            defer { harness.stop() }
            try await harness.application().test(.router) { client in
                func status(_ token: String) async throws -> HTTPResponse.Status {
                    try await client.execute(uri: "/scim/v2/Users", method: .get, headers: Self.headers(token)).status
                }
                let first = try await status(try await old.token())
                let unpublished = try await status(try await new.token())
                jwks.document.withLock { $0 = TokenFactory.jwks([new]) }
                let rotated = try await status(try await new.token())  // unknown kid → refetched
                let retired = try await status(try await old.token())
                #expect(first == .ok)
                #expect(unpublished == .unauthorized)
                #expect(rotated == .ok)
                #expect(retired == .unauthorized)
            }
        }
    }
}
