import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

/// Hostile values through every path that ends in an LDAP filter or DN: filters on each kind of attribute,
/// RDN values of new users and groups, ids in URLs, PATCH value filters and member references. Nothing may
/// escape its quoting: a value matches only what literally equals it, lands only where it belongs, and bad input
/// is a SCIM 4xx, never a 500.
@Suite("LDAP injection corpus")
struct InjectionTests {
    static let hostile: [String] = [
        "*)(uid=*", "*", "*)(|(objectClass=*)", "\\", "\\2a", "\\00", "(", ")", "x\u{0}y", ",", "+", "\"quoted\"", "<a>", ";",
        "=", " leading", "trailing ", "#hash", "cn=admin,dc=example,dc=org", "uid=alice,ou=people,dc=example,dc=org",
        "\u{FFFD}", "jörg", "ａｌｉｃｅ", "%00", "../../etc", "a\nb", "a\r\nObjectClass: top", String(repeating: "x", count: 3000),
    ]

    static func quoted(_ value: String) -> String { JSONValue.string(value).jsonString() }

    @Test func hostileValuesNeverEscapeTheirQuoting() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            for name in ["alice", "bob"] {
                _ = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth,
                    body: jsonBody(
                        userJSON(
                            name,
                            extra: """
                                "externalId":"ext-\(name)","displayName":"\(name) display","emails":[{"value":"\(name)@example.org","type":"work"}]
                                """)))
            }
            // Filters first, while only alice and bob exist: no comparison with a hostile value may match them.
            // (Fullwidth "ａｌｉｃｅ" is left out: LDAP's caseIgnoreMatch folds width, so it equals "alice".)
            for value in Self.hostile where value != "ａｌｉｃｅ" {
                for filter in [
                    "userName eq \(Self.quoted(value))", "userName co \(Self.quoted(value))", "userName sw \(Self.quoted(value))",
                    "externalId eq \(Self.quoted(value))", "emails.value ew \(Self.quoted(value))",
                    "emails[type eq \"work\" and value eq \(Self.quoted(value))]", "displayName co \(Self.quoted(value))",
                    "not (userName eq \(Self.quoted(value)))",
                ] {
                    let response = try await client.execute(uri: filterURI("Users", filter), method: .get, headers: auth)
                    #expect(response.status == .ok || response.status == .badRequest, "\(filter): \(response.status)")
                    guard response.status == .ok else { continue }
                    #expect(response.json?["totalResults"] == .integer(filter.hasPrefix("not") ? 2 : 0), "\(filter)")
                }
            }
            var created: [String: String] = [:]  // hostile userName → id
            for value in Self.hostile {
                // A user named by the hostile value (its RDN): created exactly, in ou=people, or refused with a 4xx.
                let post = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: auth,
                    body: jsonBody(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":\#(Self.quoted(value))}"#))
                #expect(
                    post.status == .created || post.status == .badRequest || post.status == .conflict,
                    "userName \(value.prefix(40)): \(post.status) \(String(buffer: post.body))")
                if post.status == .created, let id = post.json?["id"]?.stringValue {
                    #expect(post.json?["userName"]?.stringValue == value)
                    created[value] = id
                }
                // A group named by it.
                let group = try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":\#(Self.quoted(value))}"#))
                #expect(
                    group.status == .created || group.status == .badRequest || group.status == .conflict, "group \(value.prefix(40)): \(group.status)"
                )
                if group.status == .created { #expect(group.json?["displayName"]?.stringValue == value) }
                // Ids in the URL, and member references.
                let path = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "x"
                for method in [HTTPRequest.Method.get, .delete] {
                    let response = try await client.execute(uri: "/scim/v2/Users/\(path)", method: method, headers: auth)
                    #expect(response.status == .notFound || response.status == .badRequest, "\(method) id \(value.prefix(40)): \(response.status)")
                }
                let patch = try await client.execute(
                    uri: "/scim/v2/Users/\(path)", method: .patch, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]}"#))
                #expect(patch.status == .notFound || patch.status == .badRequest)
            }
            // Every created hostile user is found by its own value. (LDAP's caseIgnoreMatch folds case, width and
            // spaces, so a value may also equal another one under those rules; never anything else.)
            for (value, id) in created {
                let found = try await client.execute(uri: filterURI("Users", "userName eq \(Self.quoted(value))"), method: .get, headers: auth)
                let ids = (found.json?["Resources"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                #expect(ids.contains(id) && ids.count <= 2, "\(value.prefix(40)): \(ids.count)")
            }
            #expect(created.count >= Self.hostile.count - 6, "most hostile names are legal user names: \(created.count)")
            // Member references and value filters with hostile values inside a group PATCH.
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"targets"}"#))
            let gid = try #require(group.json?["id"]?.stringValue)
            for value in Self.hostile.prefix(12) {
                let add = try await client.execute(
                    uri: "/scim/v2/Groups/\(gid)", method: .patch, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":\#(Self.quoted(value))}]}]}"#
                    ))
                #expect(add.status == .badRequest || add.status == .notFound, "member \(value): \(add.status)")
                let remove = try await client.execute(
                    uri: "/scim/v2/Groups/\(gid)", method: .patch, headers: auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \#(Self.quoted(value).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))]"}]}"#
                    ))
                #expect(remove.status.code < 500, "remove \(value): \(remove.status)")
            }
        }
        // Everything the gateway created sits directly below ou=people / ou=groups.
        let ldap = try await harness.ldap()
        let people = try await ldap.search(base: harness.slapd.suffix, filter: .equal("objectClass", "inetOrgPerson"), attributes: ["1.1"])
        #expect(
            people.entries.allSatisfy {
                (try? DistinguishedName($0.dn).parent?.normalized) == (try? DistinguishedName(harness.slapd.peopleDN).normalized)
            })
        let groups = try await ldap.search(base: harness.slapd.suffix, filter: .equal("objectClass", "groupOfNames"), attributes: ["1.1"])
        #expect(
            groups.entries.allSatisfy {
                (try? DistinguishedName($0.dn).parent?.normalized) == (try? DistinguishedName("ou=groups,\(harness.slapd.suffix)").normalized)
            })
        #expect(people.entries.count >= 2 + Self.hostile.count - 6)
    }
}
