import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import Logging
import NIOCore
import SCIMCore
import SCIMLDAP
import SCIMServer
import SCIMTestSupport
import Testing

/// Each store call is handed its request's `StoreContext` explicitly: a logger whose metadata names the request
/// and the client, and the client's `RequestScope` — from the route through `ResourceOperations` (and bulk and
/// the root search) to the store, with no task-local in between. No directory.
@Suite("Store context, passed explicitly (unit)")
struct StoreContextUnitTests {
    static func headers(_ requestID: String) -> HTTPFields {
        var headers = RouteUnitTests.auth
        headers[HTTPField.Name("X-Request-ID")!] = requestID
        return headers
    }

    @Test func everyStoreCallOfARequestGetsItsLoggerAndScope() async throws {
        let gateway = RouteUnitTests.gateway()
        try await gateway.application.test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: Self.headers("ctx-create"),
                body: RouteUnitTests.user("bjensen"))
            #expect(created.status == .created)
            let id = try #require(created.json?["id"]?.stringValue)
            _ = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: Self.headers("ctx-get"))
            _ = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20eq%20%22bjensen%22", method: .get,
                headers: Self.headers("ctx-list"))
            _ = try await client.execute(
                uri: "/scim/v2/.search", method: .post, headers: Self.headers("ctx-root"),
                body: RouteUnitTests.body(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}"#))
            let bulk = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"DELETE","path":"/Users/\#(id)"}]}"#
            _ = try await client.execute(
                uri: "/scim/v2/Bulk", method: .post, headers: Self.headers("ctx-bulk"),
                body: RouteUnitTests.body(bulk))
        }
        let contexts = await gateway.store.contexts
        let ids = contexts.compactMap { $0.logger[metadataKey: "request.id"].map { "\($0)" } }
        #expect(ids.count == contexts.count, "every call's logger names its request")
        #expect(Set(ids) == ["ctx-create", "ctx-get", "ctx-list", "ctx-root", "ctx-bulk"])
        #expect(contexts.allSatisfy { $0.scope == RequestScope(clientName: "unit") })
        #expect(contexts.allSatisfy { $0.logger[metadataKey: "client"] == "unit" })
    }

    /// The LDAP store's own lines go to the request's logger: here the debug line of a failed LDAP operation (a
    /// readiness check against a directory that is not there) names the request.
    @Test func theLDAPStoresLinesNameTheRequest() async throws {
        // No metadata provider: what the line carries came with the logger it was given.
        let capture = LogCapture()
        let logger = capture.logger(label: "unit")
        var ldap = LDAPConfiguration(uris: ["ldap://127.0.0.1:1"], networkTimeout: .seconds(1))
        ldap.poolSize = 1
        let pool = LDAPPool(configuration: ldap, logger: Logger(label: "pool") { _ in SwiftLogNoOpLogHandler() })
        defer { pool.shutdown() }
        let mapping = try Mapping.load(UnitFixtures.bundledMapping, suffix: "dc=example,dc=org")
        let store = LDAPResourceStore(
            pool: pool, mapping: mapping, baseURL: "https://scim.example.test/scim/v2",
            logger: Logger(label: "store") { _ in SwiftLogNoOpLogHandler() })
        let configuration = SCIMServerConfiguration(publicBaseURL: "https://scim.example.test/scim/v2", clients: [])
        let router = SCIMRouter.build(
            store: store, registry: UnitFixtures.registry, servedTypes: ["User", "Group"],
            configuration: configuration)
        try await Application(router: router, logger: logger).test(.router) { client in
            let ready = try await client.execute(uri: "/readyz", method: .get, headers: Self.headers("ctx-ready"))
            #expect(ready.status == .serviceUnavailable)
        }
        let failed = try #require(capture.lines.first { $0.message == "LDAP operation failed" }, "the store logged the failure")
        #expect(failed.metadata["request.id"] == "ctx-ready")
    }
}
