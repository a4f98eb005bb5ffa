import Foundation
import LDAPClient
import SCIMApp
import SlapdHarness
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMCore
import Testing

@Suite("Discovery, routing, authentication and health")
struct ProtocolSurfaceTests {
    @Test func discoveryEndpoints() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let spc = try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: GatewayHarness.auth)
            #expect(spc.status == .ok)
            #expect(spc.json?["etag"]?["supported"]?.boolValue == true)
            for feature in ["patch", "filter", "sort", "etag", "bulk", "changePassword"] {
                #expect(spc.json?[feature]?["supported"]?.boolValue == true, "\(feature)")
            }
            #expect(spc.json?["filter"]?["maxResults"] == .integer(1000))

            let types = try await client.execute(uri: "/scim/v2/ResourceTypes", method: .get, headers: GatewayHarness.auth)
            let names = types.json?["Resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(Set(names ?? []) == ["User", "Group"])
            #expect(types.json?["totalResults"] == .integer(2))

            let user = try await client.execute(uri: "/scim/v2/ResourceTypes/User", method: .get, headers: GatewayHarness.auth)
            #expect(user.json?["endpoint"]?.stringValue == "/Users")

            let schemas = try await client.execute(uri: "/scim/v2/Schemas", method: .get, headers: GatewayHarness.auth)
            let ids = schemas.json?["Resources"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(Set(ids) == [SCIMURN.user, SCIMURN.group, SCIMURN.enterpriseUser])

            let one = try await client.execute(uri: "/scim/v2/Schemas/\(SCIMURN.user)", method: .get, headers: GatewayHarness.auth)
            #expect(one.json?["attributes"]?.arrayValue?.isEmpty == false)
            let missing = try await client.execute(uri: "/scim/v2/Schemas/urn:nope", method: .get, headers: GatewayHarness.auth)
            #expect(missing.status == .notFound)
        }
    }

    @Test func errorsAreScimJSONWithRequestID() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let unknown = try await client.execute(uri: "/scim/v2/Nope", method: .get, headers: GatewayHarness.auth)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            #expect(unknown.json?["schemas"]?[0]?.stringValue == SCIMURN.error)
            #expect(unknown.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)

            let anonymous = try await client.execute(uri: "/scim/v2/Users/x", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(anonymous.json?["status"]?.stringValue == "401")

            var wrong = GatewayHarness.auth
            wrong[.authorization] = "Bearer \(GatewayHarness.token)x"
            let rejected = try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: wrong)
            #expect(rejected.status == .unauthorized)

            let badID = try await client.execute(uri: "/scim/v2/Users/*)(uid=*", method: .get, headers: GatewayHarness.auth)
            #expect(badID.status == .notFound)

            let huge = String(repeating: "a", count: 2 << 20)
            let tooLarge = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON(huge)))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.json?["status"]?.stringValue == "413")
        }
    }

    @Test func readinessFollowsTheDirectory() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            harness.slapd.kill()
            let down = try await client.execute(uri: "/readyz", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(down.headers[.retryAfter] != nil)
            let api = try await client.execute(
                uri: "/scim/v2/Users/00000000-0000-0000-0000-000000000000", method: .get,
                headers: GatewayHarness.auth)
            #expect(api.status == .serviceUnavailable)
            #expect(api.json?["status"]?.stringValue == "503")
            #expect(api.json?["detail"]?.stringValue?.contains("ldap") == false)

            let reconnect = Task { await harness.gateway.pool.run() }
            defer { reconnect.cancel() }
            try await harness.slapd.restart()
            var recovered = false
            for _ in 0..<50 where !recovered {
                let response = try await client.execute(uri: "/readyz", method: .get)
                recovered = response.status == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(recovered)
        }
    }
}
