import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
import SlapdHarness
import Testing

/// /Me (RFC 7644 §3.11) with user-bound credentials: a user's JWT (subject = userName) and HTTP Basic checked by
/// an LDAP bind. The user's own password change goes through the directory's policy as that user.
@Suite("/Me with user credentials")
struct MeEndpointTests {
    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), .contentType: "application/scim+json"]
    }

    @Test func meServesTheAuthenticatedUser() async throws {
        let users = TokenFactory(kid: "login")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("me-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jwks = folder.appendingPathComponent("jwks.json")
        try TokenFactory.jwks([users]).write(to: jwks, atomically: true, encoding: .utf8)
        let harness = try await GatewayHarness.start { config in
            var me = GatewayConfig.Me()
            me.jwt = GatewayConfig.JWT(issuer: "https://login.test", audience: ["scim-gateway"], jwksFile: jwks.path)
            me.basic = true
            me.readOnlyAttributes = ["userName", "active"]
            config.me = me
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON("alice", extra: #""displayName":"Alice","password":"alice-Password-1""#)))
            let id = try #require(created.json?["id"]?.stringValue)
            let token = try await users.token(issuer: "https://login.test", subject: "alice")
            let bearer: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/scim+json"]

            let me = try await client.execute(uri: "/scim/v2/Me", method: .get, headers: bearer)
            #expect(me.status == .ok)
            #expect(me.json?["id"]?.stringValue == id)
            #expect(me.headers[.location] == "https://scim.example.test/scim/v2/Users/\(id)")

            // Her own password, through the policy as her own change: too short is refused naming the rule.
            let short = try await client.execute(
                uri: "/scim/v2/Me", method: .patch, headers: bearer,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"short"}]}"#
                ))
            #expect(short.status == .badRequest)
            #expect(short.json?["detail"]?.stringValue?.contains("too short") == true)
            let changed = try await client.execute(
                uri: "/scim/v2/Me", method: .patch, headers: bearer,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"alice-Password-2"}]}"#
                ))
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            #expect(changed.json?["password"] == nil)

            // Basic with the new password works; the old one and a wrong one do not.
            #expect(try await client.execute(uri: "/scim/v2/Me", method: .get, headers: Self.basic("alice", "alice-Password-2")).status == .ok)
            let refused = try await client.execute(uri: "/scim/v2/Me", method: .get, headers: Self.basic("alice", "alice-Password-1"))
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[values: .wwwAuthenticate].contains { $0.hasPrefix("Basic") })
            #expect(try await client.execute(uri: "/scim/v2/Me", method: .get, headers: Self.basic("alice", "")).status == .unauthorized)

            // What users may not do.
            let rename = try await client.execute(
                uri: "/scim/v2/Me", method: .patch, headers: bearer,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"mallory"}]}"#
                ))
            #expect(rename.status == .forbidden)
            #expect(try await client.execute(uri: "/scim/v2/Me", method: .delete, headers: bearer).status == .forbidden)
            #expect(try await client.execute(uri: "/scim/v2/Users", method: .get, headers: bearer).status == .forbidden)
            #expect(try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: bearer).status == .forbidden)
            #expect(try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: bearer).status == .ok)
            // A client credential names no user; a user without a resource has none.
            #expect(try await client.execute(uri: "/scim/v2/Me", method: .get, headers: GatewayHarness.auth).status == .notImplemented)
            let ghost = try await users.token(issuer: "https://login.test", subject: "ghost")
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Me", method: .get,
                    headers: [.authorization: "Bearer \(ghost)"]
                ).status == .notFound)
        }
        let entry = try #require(
            try await harness.ldap().search(
                base: harness.slapd.peopleDN, filter: .equal("uid", "alice"),
                attributes: ["pwdChangedTime"]
            ).entries.first)
        #expect(entry.string("pwdChangedTime") != nil)
    }
}
