import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

@Suite("Groups end to end")
struct GroupsEndToEndTests {
    @Test func membersResolveBothWaysAndDuplicateNamesAreAllowed() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            var ids: [String] = []
            for name in ["member.one", "member.two"] {
                let user = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                                                    body: jsonBody(userJSON(name, extra: #""displayName":"Display \#(name)""#)))
                ids.append(try #require(user.json?["id"]?.stringValue))
            }
            let body = """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team",
                 "members":[{"value":"\(ids[0])"},{"value":"\(ids[1])","display":"ignored"}]}
                """
            let group = try await client.execute(uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                                                 body: jsonBody(body))
            #expect(group.status == .created)
            let members = group.json?["members"]?.arrayValue ?? []
            #expect(Set(members.compactMap { $0["value"]?.stringValue }) == Set(ids))
            #expect(members.allSatisfy { $0["type"]?.stringValue == "User" })
            #expect(members.contains { $0["display"]?.stringValue == "Display member.one" })
            #expect(members.allSatisfy { $0["$ref"]?.stringValue?.hasPrefix("https://scim.example.test/scim/v2/Users/") == true })
            let groupID = try #require(group.json?["id"]?.stringValue)

            let light = try await client.execute(uri: "/scim/v2/Groups/\(groupID)?excludedAttributes=members", method: .get,
                                                 headers: GatewayHarness.auth)
            #expect(light.json?["members"] == nil)
            #expect(light.json?["displayName"]?.stringValue == "Team")

            let twin = try await client.execute(uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                                                body: jsonBody(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team"}"#))
            #expect(twin.status == .created)
            #expect(twin.json?["members"] == nil)  // the placeholder member stays hidden
            #expect(twin.json?["id"]?.stringValue != groupID)

            // LDAP sees an ordinary groupOfNames; memberOf appears on the users (memberof overlay).
            let ldap = try await harness.ldap()
            let user = try await ldap.search(base: harness.slapd.peopleDN, filter: .equal("entryUUID", ids[0]),
                                             attributes: ["memberOf"])
            #expect(user.entries.first?.strings("memberOf").count == 1)
            let empty = try await ldap.search(base: harness.slapd.groupsDN,
                                              filter: .equal("entryUUID", twin.json?["id"]?.stringValue ?? ""),
                                              attributes: ["member"])
            #expect(empty.entries.first?.strings("member") == ["cn=nobody,\(harness.slapd.suffix)"])

            let unknown = try await client.execute(uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                                                   body: jsonBody(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Bad","members":[{"value":"00000000-0000-0000-0000-000000000000"}]}"#))
            #expect(unknown.status == .badRequest)
            #expect(unknown.json?["scimType"]?.stringValue == "invalidValue")
        }
    }
}
