import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SCIMCore
import SCIMServer
import SCIMTestSupport
import Testing

/// The HTTP layer over the in-memory store: routes, status codes, headers, projection and error rendering, with
/// no directory (Hummingbird's `.router` test mode, no socket). What the gateway does over LDAP is tested in
/// IntegrationTests against a real slapd.
@Suite("Routes over the in-memory store")
struct RouteUnitTests {
    static let token = "unit-test-token"
    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/scim+json"]

    struct Gateway {
        let store: InMemoryResourceStore
        let application: Application<RouterResponder<SCIMRequestContext>>
    }

    static func gateway(maxPageSize: Int = 1000, defaultPageSize: Int = 100) -> Gateway {
        let store = InMemoryResourceStore()
        let client = BearerClient(
            name: "unit",
            tokenSHA256: BearerClient(name: "unit", hashString: BearerClient.hashString(of: token))!
                .tokenSHA256)
        var configuration = SCIMServerConfiguration(publicBaseURL: "https://scim.example.test/scim/v2", clients: [client])
        configuration.features.patch = true
        configuration.features.filter = true
        configuration.pageLimits = PageLimits(defaultCount: defaultPageSize, maxCount: maxPageSize)
        let router = SCIMRouter.build(
            store: store, registry: UnitFixtures.registry, servedTypes: ["User", "Group"],
            configuration: configuration)
        var logger = Logger(label: "unit")
        logger.logLevel = .critical
        return Gateway(store: store, application: Application(router: router, logger: logger))
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func user(_ userName: String, _ extra: String = "") -> ByteBuffer {
        body(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\#(userName)"\#(extra)}"#)
    }

    @Test func createReadReplaceDelete() async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: Self.auth,
                body: Self.user("bjensen", #","displayName":"Babs""#))
            #expect(created.status == .created)
            #expect(created.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            let resource = try #require(created.json)
            let id = try #require(resource["id"]?.stringValue)
            #expect(created.headers[.location] == "https://scim.example.test/scim/v2/Users/\(id)")
            #expect(created.headers[.eTag] == resource["meta"]?["version"]?.stringValue)

            let read = try await client.execute(uri: "/scim/v2/Users/\(id)?attributes=displayName", method: .get, headers: Self.auth)
            #expect(read.status == .ok)
            #expect(read.json?["displayName"] == "Babs")
            #expect(read.json?["userName"] == nil)
            #expect(read.json?["id"]?.stringValue == id)

            var conditional = Self.auth
            conditional[.ifNoneMatch] = created.headers[.eTag] ?? ""
            #expect(try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: conditional).status == .notModified)

            let replaced = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: Self.auth,
                body: Self.user("bjensen", #","title":"Tour Guide""#))
            #expect(replaced.status == .ok)
            #expect(replaced.json?["title"] == "Tour Guide")
            #expect(replaced.json?["displayName"] == nil)  // PUT replaces
            #expect(replaced.headers[.eTag] != created.headers[.eTag])

            #expect(try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: Self.auth).status == .noContent)
            let gone = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: Self.auth)
            #expect(gone.status == .notFound)
            #expect(gone.json?["status"] == "404")
            #expect(gone.json?["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"])
        }
        #expect(await gateway.store.all("User").isEmpty)
    }

    @Test func staleIfMatchIsRefusedOnEveryWrite() async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            let created = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: Self.auth, body: Self.user("stale"))
            let id = try #require(created.json?["id"]?.stringValue)
            var stale = Self.auth
            stale[.ifMatch] = #"W/"not-the-version""#
            let patch = Self.body(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":"x"}]}"#)
            let answers = [
                try await client.execute(uri: "/scim/v2/Users/\(id)", method: .put, headers: stale, body: Self.user("stale")),
                try await client.execute(uri: "/scim/v2/Users/\(id)", method: .patch, headers: stale, body: patch),
                try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: stale),
            ]
            for answer in answers {
                #expect(answer.status == .preconditionFailed)
                #expect(answer.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            }
            var current = Self.auth
            current[.ifMatch] = created.headers[.eTag] ?? ""
            let patched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .patch, headers: current, body: patch)
            #expect(patched.status == .ok)
            #expect(patched.json?["title"] == "x")
        }
    }

    /// Bad input of every kind is a SCIM error with its status and scimType, never a 500.
    @Test(arguments: [
        ("POST", "/scim/v2/Users", "{", 400, "invalidSyntax"),
        ("POST", "/scim/v2/Users", #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#, 400, "invalidValue"),
        ("POST", "/scim/v2/Users", #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","nope":1}"#, 400, "invalidSyntax"),
        ("GET", "/scim/v2/Users?filter=userName%20eq", "", 400, "invalidFilter"),
        ("GET", "/scim/v2/Users?filter=nope%20eq%20%22x%22", "", 400, "invalidFilter"),
        ("GET", "/scim/v2/Users?attributes=emails[", "", 400, "invalidPath"),
        (
            "PATCH", "/scim/v2/Users/missing", #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"jump"}]}"#, 400,
            "invalidSyntax"
        ),
        ("GET", "/scim/v2/Nothing", "", 404, ""),
        ("GET", "/scim/v2/Users/no-such-id", "", 404, ""),
    ])
    func badInputIsASCIMError(method: String, uri: String, body: String, status: Int, scimType: String) async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            let answer = try await client.execute(
                uri: uri, method: HTTPRequest.Method(method)!, headers: Self.auth,
                body: body.isEmpty ? nil : Self.body(body))
            #expect(Int(answer.status.code) == status, "\(method) \(uri): \(answer.json?["detail"] ?? nil)")
            #expect(answer.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            #expect(answer.json?["status"]?.stringValue == String(status))
            #expect((answer.json?["scimType"]?.stringValue ?? "") == scimType)
        }
    }

    @Test func withoutCredentialsNothingIsServed() async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            let answer = try await client.execute(uri: "/scim/v2/Users", method: .get)
            #expect(answer.status == .unauthorized)
            #expect(answer.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            let wrong = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test func listsAreFilteredSortedAndPagedWithinTheServerLimit() async throws {
        let gateway = Self.gateway(maxPageSize: 3, defaultPageSize: 2)
        try await gateway.application.test(.router) { client in
            for name in ["dave", "alice", "carol", "bob", "eve"] {
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: Self.auth,
                    body: Self.user(name, #","title":"Guide""#))
                #expect(created.status == .created)
            }
            let byDefault = try await client.execute(uri: "/scim/v2/Users?sortBy=userName", method: .get, headers: Self.auth)
            #expect(byDefault.json?["totalResults"] == 5)
            #expect(byDefault.json?["itemsPerPage"] == 2)
            #expect(byDefault.json?["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } == ["alice", "bob"])
            let clamped = try await client.execute(
                uri: "/scim/v2/Users?sortBy=userName&sortOrder=descending&count=50&startIndex=2",
                method: .get, headers: Self.auth)
            #expect(clamped.json?["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } == ["dave", "carol", "bob"])
            #expect(clamped.json?["startIndex"] == 2)
            let filtered = try await client.execute(
                uri: "/scim/v2/Users?filter=userName+sw+%22c%22+or+userName+eq+%22EVE%22",
                method: .get, headers: Self.auth)
            #expect(filtered.json?["totalResults"] == 2)
            let searched = try await client.execute(
                uri: "/scim/v2/Users/.search", method: .post, headers: Self.auth,
                body: Self.body(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"bob\"","attributes":["userName"]}"#))
            #expect(searched.json?["Resources"]?[0]?["userName"] == "bob")
            #expect(searched.json?["Resources"]?[0]?["title"] == nil)
            #expect(searched.json?["Resources"]?[0]?["id"] != nil)
            let root = try await client.execute(
                uri: "/scim/v2/.search", method: .post, headers: Self.auth,
                body: Self.body(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName pr","count":1}"#))
            #expect(root.json?["totalResults"] == 5)
            #expect(root.json?["itemsPerPage"] == 1)
        }
    }

    @Test func bulkResolvesBulkIDsAcrossOperations() async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            let bulk = #"""
                {"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
                 {"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
                  "displayName":"Tour Guides","members":[{"value":"bulkId:u"}]}},
                 {"method":"POST","path":"/Users","bulkId":"u","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"guide"}},
                 {"method":"DELETE","path":"/Users/no-such-id"}]}
                """#
            let answer = try await client.execute(uri: "/scim/v2/Bulk", method: .post, headers: Self.auth, body: Self.body(bulk))
            #expect(answer.status == .ok)
            let results = try #require(answer.json?["Operations"]?.arrayValue)
            #expect(results.map { $0["status"]?.stringValue } == ["201", "201", "404"])
        }
        let user = try #require(await gateway.store.all("User").first)
        let group = try #require(await gateway.store.all("Group").first)
        #expect(group.resource["members"]?[0]?["value"]?.stringValue == user.id)
    }

    @Test func readinessFollowsTheStore() async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            await gateway.store.setDown(true)
            let down = try await client.execute(uri: "/readyz", method: .get)
            #expect(down.status == .serviceUnavailable)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }
}

extension TestResponse {
    var json: JSONValue? { try? JSONValue.parse(Data(body.readableBytesView), maxDepth: 64, maxBytes: 1 << 24) }
}

extension RouteUnitTests {
    /// A PATCH is validated with the same validator as POST and PUT: removing a required attribute is refused.
    @Test func patchedRepresentationsAreValidatedLikePutBodies() async throws {
        let gateway = Self.gateway()
        try await gateway.application.test(.router) { client in
            let created = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: Self.auth, body: Self.user("valid"))
            let id = try #require(created.json?["id"]?.stringValue)
            let patch = Self.body(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"userName"}]}"#)
            let answer = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .patch, headers: Self.auth, body: patch)
            #expect(answer.status == .badRequest)
            #expect(answer.json?["scimType"] == "invalidValue")
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: Self.auth,
                body: Self.body(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#))
            #expect(put.json?["scimType"] == answer.json?["scimType"])
        }
        #expect(await gateway.store.all("User").first?.resource["userName"] == "valid")
    }
}
