import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

/// Filters pushed down to slapd, checked against an independent oracle: SCIMCore's in-memory evaluator applied to
/// the GET representation of every user.
@Suite("Filters pushed down to LDAP")
struct FilterQueryTests {
    static let people: [(String, String)] = [
        (
            "alice",
            #""name":{"givenName":"Alice","familyName":"Archer"},"externalId":"A-1","title":"Engineer","emails":[{"value":"alice@example.org","type":"work","primary":true},{"value":"alice@home.test","type":"home"}],"active":true"#
        ),
        (
            "bob",
            #""name":{"givenName":"Bob","familyName":"Baker"},"externalId":"B-2","title":"Manager","emails":[{"value":"bob@home.test","type":"home"}],"active":false"#
        ),
        (
            "carol",
            #""name":{"givenName":"Carol","familyName":"Cooper"},"title":"Engineer","emails":[{"value":"carol@example.org","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","employeeNumber":"42"}"#
        ),
        (
            "dave*",
            #""name":{"givenName":"Dave","familyName":"Dunn"},"displayName":"Dave (ops)","phoneNumbers":[{"value":"+1 555 0100","type":"work"}]"#
        ),
        (
            "Eve.Example",
            #""name":{"givenName":"Eve","familyName":"Evans"},"nickName":"eve","addresses":[{"locality":"Paris","country":"FR","type":"work"},{"locality":"Lyon","country":"FR","type":"home"}]"#
        ),
    ]

    static let filters = [
        #"userName eq "alice""#, #"userName eq "ALICE""#, #"userName eq "dave*""#, #"userName eq "dave""#,
        #"userName sw "a""#, #"userName co "ve""#, #"userName ew "example""#, #"userName pr"#,
        #"name.familyName eq "Baker""#, #"name.givenName sw "C" or name.givenName sw "D""#,
        #"title eq "Engineer" and not (userName eq "carol")"#, #"externalId eq "A-1""#, #"externalId eq "a-1""#,
        #"externalId pr"#, #"not (externalId pr)"#, #"active eq true"#, #"active eq false"#,
        #"emails[type eq "work"]"#, #"emails[type eq "work" and value co "@example.org"]"#,
        #"emails[type eq "home" and value ew "home.test"]"#, #"emails.value eq "bob@home.test""#,
        #"emails co "example.org""#, #"emails[primary eq true]"#, #"emails.type eq "home""#,
        #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D""#,
        #"addresses[type eq "work" and locality eq "Paris"]"#, #"addresses[type eq "home" and locality eq "Paris"]"#,
        #"phoneNumbers[type eq "work"]"#, #"displayName co "(ops)""#, #"nickName eq "eve""#,
        #"id eq "not-a-uuid""#, #"userName eq "alice" or userName eq "bob""#, #"(userName sw "a" or userName sw "b") and active eq true"#,
        #"meta.created gt "2000-01-01T00:00:00Z""#, #"meta.resourceType eq "User""#,
    ]

    @Test func everyFilterMatchesTheOracle() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let type = try #require(
            try SchemaRegistry.load(directory: GatewayHarness.repository.appendingPathComponent("schema/scim"))
                .resourceType(named: "User"))
        try await harness.application().test(.router) { client in
            var resources: [JSONValue] = []
            for (name, extra) in Self.people {
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON(name, extra: extra)))
                #expect(created.status == .created, "\(name)")
                let id = try #require(created.json?["id"]?.stringValue)
                let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
                resources.append(try #require(fetched.json))
            }
            for text in Self.filters {
                let filter = try SCIMFilter.parse(text).resolved(against: type)
                let expected = Set(resources.filter { filter.matches($0, type: type) }.compactMap { $0["userName"]?.stringValue })
                let query = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await client.execute(
                    uri: "/scim/v2/Users?count=1000&filter=\(query)", method: .get,
                    headers: GatewayHarness.auth)
                #expect(response.status == .ok, "\(text): \(response.json?["detail"]?.stringValue ?? "")")
                let found = Set(response.json?["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } ?? [])
                #expect(found == expected, "\(text)")
                #expect(response.json?["totalResults"]?.int64Value == Int64(expected.count), "\(text)")
            }
        }
    }

    @Test(arguments: [
        (#"password eq "x""#, "password"),
        (#"profileUrl gt "a""#, "profileUrl"),
        (#"emails[not (type eq "work")]"#, "emails"),
        (#"userName gt "a""#, "userName"),
        (String(repeating: "(", count: 40) + #"userName eq "a""# + String(repeating: ")", count: 40), "nest"),
        (#"userName eq"#, "userName"),
        (#"nosuchattribute eq "x""#, "nosuchattribute"),
        (#"emails[type eq "work"][value eq "x"]"#, "["),
    ])
    func unanswerableFiltersAreRefused(filter: String, names: String) async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let query = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let response = try await client.execute(uri: "/scim/v2/Users?filter=\(query)", method: .get, headers: GatewayHarness.auth)
            #expect(response.status == .badRequest)
            #expect(response.json?["scimType"]?.stringValue == "invalidFilter")
            #expect(response.json?["detail"]?.stringValue?.contains(names) == true, "\(response.json?["detail"]?.stringValue ?? "")")
        }
    }

    @Test func unboundedScanIsTooMany() async throws {
        let ldif = (1...400).map {
            "dn: uid=scan\($0),ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nuid: scan\($0)\ncn: Scan \($0)\nsn: Scan\ntitle: T\($0)\n"
        }
        .joined(separator: "\n")
        let harness = try await GatewayHarness.start(options: SlapdOptions(uncheckedLimit: 300, offlineLDIF: ldif))
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            // title has no index: slapd refuses to scan more than the service account's size.unchecked (result 11)
            let query = #"title co "3""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let response = try await client.execute(uri: "/scim/v2/Users?filter=\(query)", method: .get, headers: GatewayHarness.auth)
            #expect(response.status == .badRequest)
            #expect(response.json?["scimType"]?.stringValue == "tooMany")
        }
    }
}
