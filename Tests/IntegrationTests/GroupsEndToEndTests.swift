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
                let user = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON(name, extra: #""displayName":"Display \#(name)""#)))
                ids.append(try #require(user.json?["id"]?.stringValue))
            }
            let body = """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team",
                 "members":[{"value":"\(ids[0])"},{"value":"\(ids[1])","display":"ignored"}]}
                """
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(body))
            #expect(group.status == .created)
            let members = group.json?["members"]?.arrayValue ?? []
            #expect(Set(members.compactMap { $0["value"]?.stringValue }) == Set(ids))
            #expect(members.allSatisfy { $0["type"]?.stringValue == "User" })
            #expect(members.contains { $0["display"]?.stringValue == "Display member.one" })
            #expect(members.allSatisfy { $0["$ref"]?.stringValue?.hasPrefix("https://scim.example.test/scim/v2/Users/") == true })
            let groupID = try #require(group.json?["id"]?.stringValue)

            let light = try await client.execute(
                uri: "/scim/v2/Groups/\(groupID)?excludedAttributes=members", method: .get,
                headers: GatewayHarness.auth)
            #expect(light.json?["members"] == nil)
            #expect(light.json?["displayName"]?.stringValue == "Team")

            let twin = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team"}"#))
            #expect(twin.status == .created)
            #expect(twin.json?["members"] == nil)  // the placeholder member stays hidden
            #expect(twin.json?["id"]?.stringValue != groupID)

            // LDAP sees an ordinary groupOfNames; memberOf appears on the users (memberof overlay).
            let ldap = try await harness.ldap()
            let user = try await ldap.search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", ids[0]),
                attributes: ["memberOf"])
            #expect(user.entries.first?.strings("memberOf").count == 1)
            let empty = try await ldap.search(
                base: harness.slapd.groupsDN,
                filter: .equal("entryUUID", twin.json?["id"]?.stringValue ?? ""),
                attributes: ["member"])
            #expect(empty.entries.first?.strings("member") == ["cn=nobody,\(harness.slapd.suffix)"])

            let unknown = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Bad","members":[{"value":"00000000-0000-0000-0000-000000000000"}]}"#
                ))
            #expect(unknown.status == .badRequest)
            #expect(unknown.json?["scimType"]?.stringValue == "invalidValue")
        }
    }

    @Test func userGroupsListDirectAndNestedMemberships() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let user = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("nested.member")))
            let userID = try #require(user.json?["id"]?.stringValue)
            func group(_ name: String, _ members: [String]) async throws -> String {
                let list = members.map { #"{"value":"\#($0)"}"# }.joined(separator: ",")
                let response = try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"\#(name)","members":[\#(list)]}"#))
                #expect(response.status == .created)
                return try #require(response.json?["id"]?.stringValue)
            }
            let inner = try await group("Inner", [userID])
            let outer = try await group("Outer", [inner])
            let top = try await group("Top", [outer])
            let outerJSON = try await client.execute(uri: "/scim/v2/Groups/\(outer)", method: .get, headers: GatewayHarness.auth)
            #expect(outerJSON.json?["members"]?[0]?["type"]?.stringValue == "Group")

            let fetched = try await client.execute(uri: "/scim/v2/Users/\(userID)", method: .get, headers: GatewayHarness.auth)
            let groups = fetched.json?["groups"]?.arrayValue ?? []
            let byID = Dictionary(uniqueKeysWithValues: groups.compactMap { g in g["value"]?.stringValue.map { ($0, g) } })
            #expect(Set(byID.keys) == [inner, outer, top])
            #expect(byID[inner]?["type"]?.stringValue == "direct")
            #expect(byID[outer]?["type"]?.stringValue == "indirect")
            #expect(byID[top]?["type"]?.stringValue == "indirect")
            #expect(byID[inner]?["display"]?.stringValue == "Inner")
        }
    }

    @Test func deletedUsersLeaveTheirGroups() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            var ids: [String] = []
            for name in ["leaver", "stayer"] {
                let user = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON(name)))
                ids.append(try #require(user.json?["id"]?.stringValue))
            }
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team","members":[{"value":"\#(ids[0])"},{"value":"\#(ids[1])"}]}"#
                ))
            let groupID = try #require(group.json?["id"]?.stringValue)
            let deleted = try await client.execute(uri: "/scim/v2/Users/\(ids[0])", method: .delete, headers: GatewayHarness.auth)
            #expect(deleted.status == .noContent)
            let after = try await client.execute(uri: "/scim/v2/Groups/\(groupID)", method: .get, headers: GatewayHarness.auth)
            #expect(after.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [ids[1]])
        }
    }
}
