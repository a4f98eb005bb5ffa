import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
@testable import SCIMLDAP
import SlapdHarness
import Testing

/// The password actions: an administrator's reset with must-change, a temporary lockout lifted explicitly, and
/// the user's own change on /Me with the current password (ppolicy's safe modify), each against a real slapd.
@Suite("Password actions on ppolicy")
struct PasswordActionTests {
    static func post(_ client: some TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = GatewayHarness.auth)
        async throws -> TestResponse
    {
        try await client.execute(uri: uri, method: .post, headers: headers, body: jsonBody(body))
    }

    static func binds(_ harness: GatewayHarness, _ userName: String, _ password: String) async throws -> Bool {
        try await PasswordStorageTests.binds(harness, PasswordStateTests.dn(harness, userName), password)
    }

    @Test func adminResetSetsMustChangeAndKeepsTheAdministrativeLock() async throws {
        let harness = try await PasswordStateTests.harness()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let id = try await PasswordStateTests.create(client, "reset.me", password: "Start-Pass-1")
            #expect(try await PasswordStateTests.state(client, id)?["mustChange"] == .bool(false))
            let reset = try await Self.post(
                client, "/scim/v2/Users/\(id)/password",
                #"{"schemas":["urn:scim-gateway:params:scim:api:messages:2.0:PasswordReset"],"password":"Reset-Pass-2"}"#)
            #expect(reset.status == .noContent, "\(String(buffer: reset.body))")
            #expect(try await PasswordStateTests.state(client, id)?["mustChange"] == .bool(true))
            #expect(try await Self.binds(harness, "reset.me", "Reset-Pass-2"))
            #expect(try await PasswordStateTests.find(client, "\(PasswordStateTests.urn):passwordState.mustChange eq true").ids == [id])

            // Without must-change: the flag goes as the policy decides (the bundled default does not set it).
            let plain = try await PasswordStateTests.create(client, "reset.plain", password: "Start-Pass-3")
            let quiet = try await Self.post(client, "/scim/v2/Users/\(plain)/password", #"{"password":"Reset-Pass-4","mustChange":false}"#)
            #expect(quiet.status == .noContent)
            #expect(try await PasswordStateTests.state(client, plain)?["mustChange"] == .bool(false))

            // The policy still checks an administrator's password, and says which rule refused it.
            let short = try await Self.post(client, "/scim/v2/Users/\(id)/password", #"{"password":"short"}"#)
            #expect(short.status == .badRequest)
            #expect(short.json?["scimType"]?.stringValue == "invalidValue")
            #expect(short.json?["detail"]?.stringValue?.contains("too short") == true, "\(String(buffer: short.body))")
            #expect(try await Self.post(client, "/scim/v2/Users/\(id)/password", #"{"mustChange":true}"#).status == .badRequest)

            // An inactive user stays inactive (ppolicy would lift its lock on a reset).
            let off = try await PasswordStateTests.create(client, "reset.off", password: "Start-Pass-5")
            let deactivated = try await client.execute(
                uri: "/scim/v2/Users/\(off)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#))
            #expect(deactivated.status == .ok)
            #expect(try await Self.post(client, "/scim/v2/Users/\(off)/password", #"{"password":"Reset-Pass-6"}"#).status == .noContent)
            let after = try await client.execute(uri: "/scim/v2/Users/\(off)", method: .get, headers: GatewayHarness.auth)
            #expect(after.json?["active"] == .bool(false))
            #expect(try await !Self.binds(harness, "reset.off", "Reset-Pass-6"))
            #expect(
                try await Self.post(
                    client, "/scim/v2/Users/00000000-0000-0000-0000-000000000000/password",
                    #"{"password":"Reset-Pass-7"}"#
                ).status == .notFound)
        }
    }

    @Test func unlockLiftsOnlyATemporaryLockout() async throws {
        let harness = try await PasswordStateTests.harness()
        defer { harness.stop() }
        try await PasswordStateTests.setPolicy(harness, [.replace("pwdMaxFailure", ["2"])])
        try await harness.application().test(.router) { client in
            let id = try await PasswordStateTests.create(client, "unlock.me", password: "Right-Pass-1")
            for attempt in 1...2 { #expect(try await !Self.binds(harness, "unlock.me", "wrong-\(attempt)")) }
            #expect(try await PasswordStateTests.state(client, id)?["locked"] == .bool(true))

            // Other writes never lift it.
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("unlock.me", extra: #""active":true,"title":"Still locked""#)))
            #expect(put.status == .ok)
            #expect(try await PasswordStateTests.state(client, id)?["locked"] == .bool(true))
            #expect(try await !Self.binds(harness, "unlock.me", "Right-Pass-1"))

            let unlocked = try await Self.post(client, "/scim/v2/Users/\(id)/unlock", "{}")
            #expect(unlocked.status == .noContent, "\(String(buffer: unlocked.body))")
            let state = try #require(try await PasswordStateTests.state(client, id))
            #expect(state["locked"] == .bool(false))
            #expect(state["failedAttempts"] == .integer(0))
            #expect(try await Self.binds(harness, "unlock.me", "Right-Pass-1"))

            // The administrative lock is not a lockout: unlock leaves it.
            let deactivated = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#))
            #expect(deactivated.status == .ok)
            #expect(try await Self.post(client, "/scim/v2/Users/\(id)/unlock", "{}").status == .noContent)
            let after = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(after.json?["active"] == .bool(false))
            #expect(try await !Self.binds(harness, "unlock.me", "Right-Pass-1"))
        }
    }

    @Test func ownChangeOnMeNeedsTheCurrentPassword() async throws {
        let users = TokenFactory(kid: "login")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pwme-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jwks = folder.appendingPathComponent("jwks.json")
        try TokenFactory.jwks([users]).write(to: jwks, atomically: true, encoding: .utf8)
        let harness = try await PasswordStateTests.harness { config in
            var me = GatewayConfig.Me()
            me.jwt = GatewayConfig.JWT(issuer: "https://login.test", audience: ["scim-gateway"], jwksFile: jwks.path)
            config.me = me
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let id = try await PasswordStateTests.create(client, "self.changer", password: "Start-Pass-0")
            let other = try await PasswordStateTests.create(client, "someone.else", password: "Other-Pass-1")
            #expect(try await Self.post(client, "/scim/v2/Users/\(id)/password", #"{"password":"Given-Pass-1"}"#).status == .noContent)
            #expect(try await PasswordStateTests.state(client, id)?["mustChange"] == .bool(true))
            try await PasswordStateTests.setPolicy(harness, [.replace("pwdSafeModify", ["TRUE"])])
            let probe = try await Self.post(client, "/scim/v2/Users/\(other)/password", #"{"password":"Other-Pass-2"}"#)
            // With pwdSafeModify, slapd refuses a password set without the old one, an administrator's reset included.
            #expect(probe.status == .forbidden)
            #expect(probe.json?["detail"]?.stringValue?.contains("pwdSafeModify") == true, "\(String(buffer: probe.body))")
            let token = try await users.token(issuer: "https://login.test", subject: "self.changer")
            let bearer: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/scim+json"]
            let change = "urn:scim-gateway:params:scim:api:messages:2.0:PasswordChange"

            let wrong = try await Self.post(
                client, "/scim/v2/Me/password",
                #"{"schemas":["\#(change)"],"currentPassword":"not-it-1","password":"Mine-Pass-2"}"#, headers: bearer)
            #expect(wrong.status == .badRequest)
            #expect(wrong.json?["detail"]?.stringValue?.contains("current password") == true, "\(String(buffer: wrong.body))")
            #expect(try await Self.binds(harness, "self.changer", "Given-Pass-1"))
            let missing = try await Self.post(client, "/scim/v2/Me/password", #"{"password":"Mine-Pass-2"}"#, headers: bearer)
            #expect(missing.status == .badRequest)
            let short = try await Self.post(
                client, "/scim/v2/Me/password",
                #"{"currentPassword":"Given-Pass-1","password":"short"}"#, headers: bearer)
            #expect(short.status == .badRequest)
            #expect(short.json?["detail"]?.stringValue?.contains("too short") == true, "\(String(buffer: short.body))")

            let changed = try await Self.post(
                client, "/scim/v2/Me/password",
                #"{"schemas":["\#(change)"],"currentPassword":"Given-Pass-1","password":"Mine-Pass-2"}"#, headers: bearer)
            #expect(changed.status == .noContent, "\(String(buffer: changed.body))")
            #expect(try await Self.binds(harness, "self.changer", "Mine-Pass-2"))
            #expect(try await PasswordStateTests.state(client, id)?["mustChange"] == .bool(false))
            // The user's own change is the user's: a user credential reaches no other user's action.
            #expect(
                try await Self.post(
                    client, "/scim/v2/Users/\(other)/password", #"{"password":"Taken-Pass-3"}"#,
                    headers: bearer
                ).status == .forbidden)
            // A provisioning client has no /Me.
            #expect(try await Self.post(client, "/scim/v2/Me/password", #"{"currentPassword":"a","password":"b"}"#).status == .notImplemented)

            // The OpenID Connect profile's scim_id claim names the user directly (the subject says nothing).
            let byID = try await users.token(issuer: "https://login.test", subject: "unknown-subject", scimID: other)
            let me = try await client.execute(uri: "/scim/v2/Me", method: .get, headers: [.authorization: "Bearer \(byID)"])
            #expect(me.status == .ok)
            #expect(me.json?["id"]?.stringValue == other)
            let nobody = try await users.token(
                issuer: "https://login.test", subject: "self.changer",
                scimID: "00000000-0000-0000-0000-000000000000")
            #expect(try await client.execute(uri: "/scim/v2/Me", method: .get, headers: [.authorization: "Bearer \(nobody)"]).status == .notFound)
        }
    }
}
