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

/// `/PasswordPolicies` serves the directory's pwdPolicy entries read-only, and a user's `pwdPolicySubentry`
/// picks the policy their password state is judged by.
@Suite("Password policies resource")
struct PasswordPolicyResourceTests {
    @Test func policiesAreReadOnlyAndPerUser() async throws {
        // `/PasswordPolicies` is opt-in (`serve: true`); the bundled mapping leaves it off.
        let file = try PasswordStateTests.mapping(extra: "      serve: true\n")
        defer { try? FileManager.default.removeItem(at: file) }
        let harness = try await GatewayHarness.start(mapping: file.path)
        defer { harness.stop() }
        let strictDN = "cn=strict,ou=policies,\(harness.slapd.suffix)"
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        _ = try await admin.add(
            dn: strictDN,
            attributes: [
                ("objectClass", [Array("device".utf8), Array("pwdPolicy".utf8)]), ("cn", [Array("strict".utf8)]),
                ("pwdAttribute", [Array("userPassword".utf8)]), ("pwdMaxAge", [Array("3600".utf8)]),
                ("pwdMinLength", [Array("12".utf8)]), ("pwdCheckQuality", [Array("2".utf8)]), ("pwdAllowUserChange", [Array("FALSE".utf8)]),
            ])
        try await harness.application().test(.router) { client in
            let list = try await client.execute(uri: "/scim/v2/PasswordPolicies", method: .get, headers: GatewayHarness.auth)
            #expect(list.status == .ok)
            let policies = list.json?["Resources"]?.arrayValue ?? []
            #expect(list.json?["totalResults"] == .integer(2))
            let standard = try #require(policies.first { $0["name"]?.stringValue == "default" })
            #expect(standard["minLength"] == .integer(8))
            #expect(standard["history"] == .integer(3))
            #expect(standard["qualityCheck"]?.stringValue == "required")
            #expect(standard["lockout"] == .bool(true))
            #expect(standard["maxFailures"] == .integer(5))
            #expect(standard["lockoutDuration"] == .integer(300))
            #expect(standard["maxAge"] == .integer(0))
            #expect(standard["meta"]?["resourceType"]?.stringValue == "PasswordPolicy")
            let strict = try #require(policies.first { $0["name"]?.stringValue == "strict" })
            let strictID = try #require(strict["id"]?.stringValue)
            #expect(strict["allowUserChange"] == .bool(false))

            let one = try await client.execute(uri: "/scim/v2/PasswordPolicies/\(strictID)", method: .get, headers: GatewayHarness.auth)
            #expect(one.status == .ok)
            #expect(one.json?["minLength"] == .integer(12))
            #expect(one.headers[.eTag] != nil)
            #expect(try await client.execute(uri: "/scim/v2/PasswordPolicies/nope", method: .get, headers: GatewayHarness.auth).status == .notFound)

            // Writes are refused, and the entry is unchanged.
            for (method, uri) in [
                (HTTPRequest.Method.post, "/scim/v2/PasswordPolicies"), (.put, "/scim/v2/PasswordPolicies/\(strictID)"),
                (.patch, "/scim/v2/PasswordPolicies/\(strictID)"), (.delete, "/scim/v2/PasswordPolicies/\(strictID)"),
            ] {
                let refused = try await client.execute(uri: uri, method: method, headers: GatewayHarness.auth, body: jsonBody(#"{"minLength":1}"#))
                #expect(refused.status == .methodNotAllowed, "\(method)")
                #expect(refused.json?["detail"]?.stringValue?.contains("read-only") == true)
            }
            let again = try await client.execute(uri: "/scim/v2/PasswordPolicies/\(strictID)", method: .get, headers: GatewayHarness.auth)
            #expect(again.json?["minLength"] == .integer(12))

            let types = try await client.execute(uri: "/scim/v2/ResourceTypes/PasswordPolicy", method: .get, headers: GatewayHarness.auth)
            #expect(types.status == .ok)
            #expect(types.json?["endpoint"]?.stringValue == "/PasswordPolicies")
            let schema = try await client.execute(
                uri: "/scim/v2/Schemas/\(PasswordPolicyResource.schema)", method: .get, headers: GatewayHarness.auth)
            #expect(schema.status == .ok)

            // A user under the strict policy is judged by it; others by the default.
            let governed = try await PasswordStateTests.create(client, "strict.user", password: "Strict-Pass-Long-1")
            let plain = try await PasswordStateTests.create(client, "plain.user", password: "Plain-Pass-1")
            _ = try await admin.modify(dn: PasswordStateTests.dn(harness, "strict.user"), [.replace("pwdPolicySubentry", [strictDN])])
            let state = try #require(try await PasswordStateTests.state(client, governed))
            #expect(state["policy"]?.stringValue == strictID)
            #expect(state["cantChange"] == .bool(true))
            #expect(state["expiresDateTime"] != nil)
            let other = try #require(try await PasswordStateTests.state(client, plain))
            #expect(other["policy"]?.stringValue == standard["id"]?.stringValue)
            #expect(other["expiresDateTime"] == nil)
            // Expired under its own policy's maxAge, judged per policy by the filter.
            #expect(try await PasswordStateTests.find(client, "\(PasswordStateTests.urn):passwordState.expired eq false").ids == [governed, plain])
        }
    }
}
