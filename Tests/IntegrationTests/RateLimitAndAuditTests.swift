import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMApp
import SCIMCore
import Testing

/// Request rate per client (429 with Retry-After and a SCIM body) and the audit stream: one JSON line per write,
/// bulk operations one by one, failures included, never a password or token.
@Suite("Rate limits and the audit stream")
struct RateLimitAndAuditTests {
    @Test func clientsOverTheirRateGet429() async throws {
        let harness = try await GatewayHarness.start { config in
            var limited = GatewayConfig.Client(name: "limited", tokenHash: BearerClientHash.of("limited-token"))
            limited.rateLimit = .init(requestsPerSecond: 0.5, burst: 3)
            config.clients.append(limited)
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer limited-token"]
            var statuses: [HTTPResponse.Status] = []
            var last: TestResponse?
            for _ in 0..<5 {
                let response = try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: headers)
                statuses.append(response.status)
                last = response
            }
            #expect(statuses.prefix(3).allSatisfy { $0 == .ok })
            #expect(statuses.suffix(2).allSatisfy { $0 == .tooManyRequests })
            #expect(last?.headers[.retryAfter].flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(last?.json?["status"]?.stringValue == "429")
            // Other clients are not affected.
            #expect(try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: GatewayHarness.auth).status == .ok)
        }
    }

    @Test func everyWriteIsAuditedAsAJSONLine() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("audit.jsonl")
        let harness = try await GatewayHarness.start { config in config.audit = .init(destination: file.path) }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(
                    userJSON("audited", extra: #""password":"audit-Password-1""#)))
            let id = try #require(created.json?["id"]?.stringValue)
            _ = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: auth, body: jsonBody(userJSON("audited")))  // 409
            var traced = auth
            traced[HTTPField.Name("X-Request-ID")!] = "trace-42"
            _ = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .patch, headers: traced,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"audit-Password-2"}]}"#
                ))
            _ = try await client.execute(
                uri: "/scim/v2/Bulk", method: .post, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"audit-group"}}]}"#
                ))
            _ = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: auth)
            _ = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: auth)  // reads are not audited
        }
        let text = try String(contentsOf: file, encoding: .utf8)
        let events = try text.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8), maxDepth: 8, maxBytes: 4096) }
        #expect(events.map { $0["operation"]?.stringValue ?? "" } == ["create", "create", "patch", "bulk.post", "delete"])
        #expect(events.map { $0["status"]?.int64Value ?? 0 } == [201, 409, 200, 201, 204])
        #expect(events[1]["outcome"]?.stringValue == "failure" && events[1]["scimType"]?.stringValue == "uniqueness")
        #expect(events.allSatisfy { $0["client"]?.stringValue == "tests" && $0["time"] != nil && $0["requestId"] != nil })
        #expect(events[2]["requestId"]?.stringValue == "trace-42")
        #expect(events[3]["resourceType"]?.stringValue == "Groups" && events[3]["bulkOperation"] == .integer(1))
        #expect(events[0]["resourceId"]?.stringValue == events[4]["resourceId"]?.stringValue)
        #expect(!text.contains("Password") && !text.contains(GatewayHarness.token))
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
