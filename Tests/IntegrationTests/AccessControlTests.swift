import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
import SlapdHarness
import Testing

/// Per-client access policies: resource types, operations (bulk sub-operations one by one), attributes a client
/// may not write, a subtree, and Proxied Authorization so the directory's own ACLs decide (a denial is 403).
@Suite("Per-client access control")
struct AccessControlTests {
    static func client(_ name: String, _ configure: (inout GatewayConfig.Access) -> Void) -> GatewayConfig.Client {
        var client = GatewayConfig.Client(name: name, tokenHash: BearerClientHash.of("\(name)-token"))
        var access = GatewayConfig.Access()
        configure(&access)
        client.access = access
        return client
    }

    static func auth(_ name: String) -> HTTPFields {
        [.authorization: "Bearer \(name)-token", .contentType: "application/scim+json"]
    }

    @Test func policiesAreEnforced() async throws {
        let harness = try await GatewayHarness.start { config in
            config.clients += [
                Self.client("reader") { $0.operations = ["read"] },
                Self.client("groups-only") { $0.resourceTypes = ["Group"] },
                Self.client("no-passwords") {
                    $0.readOnlyAttributes = ["password", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"]
                },
                Self.client("one-user") { $0.baseDN = "uid=carol,ou=people,dc=example,dc=org" },
                Self.client("as-carol") { $0.proxyAuthorization = "dn:uid=carol,ou=people,dc=example,dc=org" },
            ]
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let admin = GatewayHarness.auth
            let carol = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: admin, body: jsonBody(userJSON("carol")))
            let carolID = try #require(carol.json?["id"]?.stringValue)
            let dave = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: admin, body: jsonBody(userJSON("dave")))
            let daveID = try #require(dave.json?["id"]?.stringValue)
            _ = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: admin,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"staff"}"#))

            // Operations.
            #expect(try await client.execute(uri: "/scim/v2/Users", method: .get, headers: Self.auth("reader")).status == .ok)
            let denied = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: Self.auth("reader"),
                body: jsonBody(userJSON("eve")))
            #expect(denied.status == .forbidden)
            #expect(denied.json?["status"]?.stringValue == "403")
            #expect(try await client.execute(uri: "/scim/v2/Users/\(daveID)", method: .delete, headers: Self.auth("reader")).status == .forbidden)
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Bulk", method: .post, headers: Self.auth("reader"),
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[]}"#)
                ).status == .forbidden)

            // Resource types, root search included.
            #expect(try await client.execute(uri: "/scim/v2/Users", method: .get, headers: Self.auth("groups-only")).status == .forbidden)
            #expect(try await client.execute(uri: "/scim/v2/Groups", method: .get, headers: Self.auth("groups-only")).status == .ok)
            let root = try await client.execute(
                uri: "/scim/v2/.search", method: .post, headers: Self.auth("groups-only"),
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}"#))
            #expect(root.json?["totalResults"] == .integer(1))
            let bulk = try await client.execute(
                uri: "/scim/v2/Bulk", method: .post, headers: Self.auth("groups-only"),
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"u","data":\#(userJSON("frank"))},{"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"bulk-group"}}]}"#
                ))
            #expect(bulk.json?["Operations"]?[0]?["status"]?.stringValue == "403")
            #expect(bulk.json?["Operations"]?[1]?["status"]?.stringValue == "201")

            // Attributes a client may not write: POST, PUT, PATCH (with and without path), bulk.
            let np = Self.auth("no-passwords")
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: np,
                    body: jsonBody(userJSON("gina", extra: #""password":"gina-Password-1""#))
                ).status == .forbidden)
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Users/\(daveID)", method: .put, headers: np,
                    body: jsonBody(userJSON("dave", extra: #""password":"dave-Password-1""#))
                ).status == .forbidden)
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Users/\(daveID)", method: .patch, headers: np,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"x-Password-1"}]}"#
                    )
                ).status == .forbidden)
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Users/\(daveID)", method: .patch, headers: np,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"\#(carolID)"}}]}"#
                    )
                ).status == .forbidden)
            #expect(
                try await client.execute(
                    uri: "/scim/v2/Users/\(daveID)", method: .patch, headers: np,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Ops"}]}"#
                    )
                ).status == .ok)

            // A subtree: one entry visible, the rest not found.
            let one = Self.auth("one-user")
            #expect(try await client.execute(uri: "/scim/v2/Users", method: .get, headers: one).json?["totalResults"] == .integer(1))
            #expect(try await client.execute(uri: "/scim/v2/Users/\(carolID)", method: .get, headers: one).status == .ok)
            #expect(try await client.execute(uri: "/scim/v2/Users/\(daveID)", method: .get, headers: one).status == .notFound)
            #expect(try await client.execute(uri: "/scim/v2/Users/\(daveID)", method: .delete, headers: one).status == .notFound)

            // Proxied Authorization as an ordinary user: the directory lets it read, and refuses writes (403).
            let proxied = Self.auth("as-carol")
            let proxiedList = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: proxied)
            #expect(proxiedList.json?["totalResults"] == .integer(2), "\(String(buffer: proxiedList.body))")
            let write = try await client.execute(
                uri: "/scim/v2/Users/\(daveID)", method: .patch, headers: proxied,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"Boss"}]}"#))
            #expect(write.status == .forbidden)
            #expect(write.json?["detail"]?.stringValue?.contains("uid=") == false)
        }
        let entry = try #require(
            try await harness.ldap().search(
                base: harness.slapd.peopleDN, filter: .equal("uid", "dave"),
                attributes: ["title", "userPassword"]
            ).entries.first)
        #expect(entry.string("title") == "Ops")
        #expect(entry.string("userPassword") == nil)
    }
}
