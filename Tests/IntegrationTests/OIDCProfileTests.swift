import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMApp
import SCIMCore
import Testing

/// The OpenID Connect profile for SCIM services: the discovery member naming the SCIM endpoint, and user tokens
/// naming their SCIM resource by `scim_id` or `scim_location`.
@Suite("OpenID Connect profile for SCIM")
struct OIDCProfileTests {
    @Test func discoveryAndResourceClaims() async throws {
        let users = TokenFactory(kid: "login")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("oidcp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jwks = folder.appendingPathComponent("jwks.json")
        try TokenFactory.jwks([users]).write(to: jwks, atomically: true, encoding: .utf8)
        let harness = try await GatewayHarness.start { config in
            var me = GatewayConfig.Me()
            me.jwt = GatewayConfig.JWT(issuer: "https://login.test", audience: ["scim-gateway"], jwksFile: jwks.path)
            config.me = me
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let alice = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("alice.oidc")))
            let bob = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("bob.oidc")))
            let aliceID = try #require(alice.json?["id"]?.stringValue)
            let bobID = try #require(bob.json?["id"]?.stringValue)
            let aliceLocation = try #require(alice.json?["meta"]?["location"]?.stringValue)
            let bobLocation = try #require(bob.json?["meta"]?["location"]?.stringValue)
            let base = String(aliceLocation.dropLast("/Users/\(aliceID)".count))

            // Discovery: no credential needed, plain JSON, the SCIM base URL under the profile's member name.
            let discovery = try await client.execute(uri: "/.well-known/scim-configuration", method: .get)
            #expect(discovery.status == .ok)
            #expect(discovery.headers[.contentType] == "application/json")
            #expect(discovery.json?["scim_endpoint"]?.stringValue == base)
            #expect(discovery.json?["scim_me_endpoint"]?.stringValue == base + "/Me")
            #expect(discovery.json?["scim_claims_supported"]?.arrayValue?.contains(.string("scim_location")) == true)
            #expect(try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get).status == .unauthorized)

            func me(_ token: String) async throws -> TestResponse {
                try await client.execute(uri: "/scim/v2/Me", method: .get, headers: [.authorization: "Bearer \(token)"])
            }
            // scim_location names the resource (the subject names nobody).
            let byLocation = try await me(try await users.token(issuer: "https://login.test", subject: "nobody", scimLocation: aliceLocation))
            #expect(byLocation.status == .ok)
            #expect(byLocation.json?["id"]?.stringValue == aliceID)
            // Both claims, agreeing.
            let both = try await me(
                try await users.token(
                    issuer: "https://login.test", subject: "nobody", scimID: bobID,
                    scimLocation: bobLocation))
            #expect(both.json?["id"]?.stringValue == bobID)
            // Refused: claims that disagree, a resource of another service, a resource that is not a user.
            for location in [
                (bobID, aliceLocation), (nil, "https://elsewhere.example/scim/v2/Users/\(aliceID)"),
                (nil, "\(base)/Groups/\(aliceID)"), (nil, "\(base)/Users/\(aliceID)/password"),
            ] {
                let token = try await users.token(
                    issuer: "https://login.test", subject: "alice.oidc", scimID: location.0,
                    scimLocation: location.1)
                let refused = try await me(token)
                #expect(refused.status == .unauthorized, "\(location)")
                #expect(refused.json?["id"] == nil)
            }
        }
    }
}
