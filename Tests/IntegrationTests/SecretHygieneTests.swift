import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import Logging
import NIOCore
import SCIMApp
import SCIMCore
import SCIMTestSupport
import Testing

/// Passwords and tokens never reach the logs (even at trace level), and directory diagnostics never reach a
/// response body.
@Suite("Secrets stay out of logs and responses")
struct SecretHygieneTests {
    @Test func passwordsTokensAndDiagnosticsStayInside() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let capture = LogCapture()
        let logger = capture.logger(label: "hygiene")
        let gateway = try GatewayApplication.build(config: harness.gateway.config, configDirectory: GatewayHarness.repository, logger: logger)
        defer { gateway.pool.shutdown() }
        let password = "Secret-Sauce-\(UUID().uuidString.prefix(8))"
        try await Application(router: gateway.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            .test(.router) { client in
                let auth = GatewayHarness.auth
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth,
                    body: jsonBody(
                        userJSON("hygiene", extra: #""password":"\#(password)""#)))
                #expect(created.status == .created)
                let id = try #require(created.json?["id"]?.stringValue)
                let weak = try await client.execute(
                    uri: "/scim/v2/Users/\(id)", method: .patch, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"weak"}]}"#
                    ))
                #expect(weak.status == .badRequest)
                // A directory refusal (value the schema rejects) and a wrong token.
                let refused = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth,
                    body: jsonBody(
                        userJSON("hygiene")))
                #expect(refused.status == .conflict)
                for response in [created, weak, refused] {
                    let body = String(buffer: response.body)
                    #expect(
                        !body.contains(password) && !body.contains("weak\"") && !body.lowercased().contains("dc=example")
                            && !body.contains("LDAP"), "\(body)")
                }
                let wrong = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: [.authorization: "Bearer wrong-\(password)"])
                #expect(wrong.status == .unauthorized)
            }
        let logs = capture.text
        #expect(logs.contains("request"), "the capture works")
        #expect(!logs.contains(password))
        #expect(!logs.contains(GatewayHarness.token))
        #expect(!logs.contains("\"weak\""))
    }
}
