import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMCore
import Testing

@Suite("/Bulk (RFC 7644 §3.7)")
struct BulkTests {
    static func bulk(_ client: some TestClientProtocol, _ operations: String, failOnErrors: Int? = nil) async throws -> TestResponse {
        let fail = failOnErrors.map { #""failOnErrors":\#($0),"# } ?? ""
        return try await client.execute(
            uri: "/scim/v2/Bulk", method: .post, headers: GatewayHarness.auth,
            body: jsonBody(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],\#(fail)"Operations":[\#(operations)]}"#))
    }

    @Test func forwardAndCircularReferencesResolve() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            // Group A lists group B (defined later) and a user defined later; B lists A: a cycle.
            let response = try await Self.bulk(
                client,
                """
                {"method":"POST","path":"/Groups","bulkId":"a","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"A","members":[{"value":"bulkId:b"},{"value":"bulkId:u"}]}},
                {"method":"POST","path":"/Groups","bulkId":"b","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"B","members":[{"value":"bulkId:a"}]}},
                {"method":"POST","path":"/Users","bulkId":"u","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk.user"}}
                """)
            #expect(response.status == .ok)
            let results = response.json?["Operations"]?.arrayValue ?? []
            #expect(results.map { $0["status"]?.stringValue } == ["201", "201", "201"])
            let locations = results.compactMap { $0["location"]?.stringValue }
            #expect(locations.count == 3)
            let ids = locations.map { String($0.split(separator: "/").last ?? "") }
            let a = try await client.execute(uri: "/scim/v2/Groups/\(ids[0])", method: .get, headers: GatewayHarness.auth)
            #expect(Set(a.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []) == [ids[1], ids[2]])
            let b = try await client.execute(uri: "/scim/v2/Groups/\(ids[1])", method: .get, headers: GatewayHarness.auth)
            #expect(b.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [ids[0]])
        }
    }

    @Test func errorsPerOperationAndFailOnErrors() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let response = try await Self.bulk(
                client,
                """
                {"method":"POST","path":"/Users","bulkId":"ok","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk.ok"}},
                {"method":"POST","path":"/Users","bulkId":"dup","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk.ok"}},
                {"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"bulkId:nowhere"}]}},
                {"method":"DELETE","path":"/Users/00000000-0000-0000-0000-000000000000"},
                {"method":"POST","path":"/Users","bulkId":"late","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bulk.late"}}
                """, failOnErrors: 2)
            let results = response.json?["Operations"]?.arrayValue ?? []
            #expect(results.map { $0["status"]?.stringValue } == ["201", "409", "409"])  // stops after 2 errors
            #expect(results[1]["response"]?["scimType"]?.stringValue == "uniqueness")
            #expect(results[2]["response"]?["scimType"]?.stringValue == "invalidValue")
        }
    }

    @Test func limitsAreEnforced() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let many = (0..<1001).map { #"{"method":"DELETE","path":"/Users/x\#($0)"}"# }.joined(separator: ",")
            let response = try await Self.bulk(client, many)
            #expect(response.status == .contentTooLarge)
            #expect(response.json?["status"]?.stringValue == "413")
            let spc = try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: GatewayHarness.auth)
            #expect(spc.json?["bulk"]?["maxOperations"] == .integer(1000))
        }
    }
}
