import Foundation
import SCIMCore
import SCIMServer
import SCIMTestSupport
import Testing

/// Pure logic of the access policy and the rate limiter (no directory needed).
@Suite("Access policy and rate limiter")
struct PolicyAndLimiterUnitTests {
    static let registry = try! SchemaRegistry.load(directory: UnitFixtures.repository.appendingPathComponent("schema/scim"))
    static let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"

    static func patch(_ text: String) throws -> PatchRequest {
        try PatchRequest(json: try JSONValue.parse(Data(text.utf8), maxDepth: 16, maxBytes: 4096))
    }

    @Test func readOnlyAttributesCoverSubAttributesAndURNs() throws {
        let users = try #require(Self.registry.resourceType(named: "User"))
        let policy = AccessPolicy(readOnlyAttributes: [Self.manager, "name", "password"])
        for text in [
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"\#(Self.manager).value":"x"}}]}"#,
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"\#(Self.manager).value","value":"x"}]}"#,
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"name.givenName":"x"}}]}"#,
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"password","value":"x"}]}"#,
        ] {
            #expect(throws: SCIMError.self, "\(text)") { try policy.checkWritable(try Self.patch(text), type: users) }
        }
        try policy.checkWritable(
            try Self.patch(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}"#),
            type: users)
        let body = try JSONValue.parse(
            Data(#"{"userName":"a","\#("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")":{"manager":{"value":"m"}}}"#.utf8),
            maxDepth: 8, maxBytes: 4096)
        #expect(throws: SCIMError.self) { try policy.checkWritable(body, type: users) }
    }

    @Test func bucketsRefillAndStayBounded() {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(rate: 1, burst: 2)
        let start = ContinuousClock.now
        #expect(limiter.take("a", limit: limit, now: start) == nil)
        #expect(limiter.take("a", limit: limit, now: start) == nil)
        #expect(limiter.take("a", limit: limit, now: start) == 1)
        #expect(limiter.take("a", limit: limit, now: start + .seconds(1)) == nil)  // refilled one token
        #expect(limiter.take("b", limit: limit, now: start) == nil)  // keys are independent
        for index in 0..<25_000 { _ = limiter.take("user-\(index)", limit: limit, now: start + .seconds(120)) }
        // Still answering, and the busy key was not starved by the flood of others.
        #expect(limiter.take("a", limit: limit, now: start + .seconds(121)) == nil)
    }
}
