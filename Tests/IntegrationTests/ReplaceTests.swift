import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

@Suite("PUT (RFC 7644 §3.5.1): replace semantics, renames through modrdn, no half-applied writes")
struct ReplaceTests {
    static func put(_ client: some TestClientProtocol, _ id: String, _ body: String, headers: HTTPFields = GatewayHarness.auth)
        async throws -> TestResponse
    {
        try await client.execute(uri: "/scim/v2/Users/\(id)", method: .put, headers: headers, body: jsonBody(body))
    }

    @Test func replaceClearsOmittedKeepsPasswordAndRenames() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON("put.user", extra: #""displayName":"Before","title":"Engineer","password":"Initial-Pass-1","active":false"#)))
            let id = try #require(created.json?["id"]?.stringValue)
            let ldap = try await harness.ldap()
            let hash = try await harness.storedPassword(.equal("entryUUID", id))
            #expect(hash?.hasPrefix("{") == true)

            let replaced = try await Self.put(client, id, userJSON("put.renamed", extra: #""displayName":"After""#))
            #expect(replaced.status == .ok)
            #expect(replaced.json?["id"]?.stringValue == id)
            #expect(replaced.json?["userName"]?.stringValue == "put.renamed")
            #expect(replaced.json?["displayName"]?.stringValue == "After")
            #expect(replaced.json?["title"] == nil)  // omitted: cleared
            #expect(replaced.json?["active"]?.boolValue == false)  // omitted active: unchanged
            #expect(replaced.headers[.eTag] != created.headers[.eTag])

            let after = try await ldap.search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                attributes: ["userPassword", "uid"])
            let entry = try #require(after.entries.first)
            #expect(entry.dn.lowercased() == "uid=put.renamed,\(harness.slapd.peopleDN)".lowercased())
            #expect(entry.strings("uid") == ["put.renamed"])  // old RDN value removed
            #expect(try await harness.storedPassword(.equal("entryUUID", id)) == hash)  // PUT never clears the password
        }
    }

    @Test func failedModifyUndoesTheRename() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("undo.user", extra: #""title":"Kept""#)))
            let id = try #require(created.json?["id"]?.stringValue)
            // The rename succeeds, then ppolicy refuses the short password in the modify: the rename is undone.
            let response = try await Self.put(client, id, userJSON("undo.renamed", extra: #""password":"abc""#))
            #expect(response.status == .badRequest)
            #expect(response.json?["scimType"]?.stringValue == "invalidValue")
            let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(fetched.json?["userName"]?.stringValue == "undo.user")
            #expect(fetched.json?["title"]?.stringValue == "Kept")
            // The version moves on (two renames happened), the content is what it was.
            #expect(fetched.json?["id"]?.stringValue == id)
        }
    }

    @Test func staleIfMatchIsRefusedAtomically() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("ifmatch.user")))
            let id = try #require(created.json?["id"]?.stringValue)
            let etag = try #require(created.headers[.eTag])
            var headers = GatewayHarness.auth
            headers[.ifMatch] = etag
            let first = try await Self.put(client, id, userJSON("ifmatch.user", extra: #""title":"One""#), headers: headers)
            #expect(first.status == .ok)
            let second = try await Self.put(client, id, userJSON("ifmatch.user", extra: #""title":"Two""#), headers: headers)
            #expect(second.status == .preconditionFailed)
            let renameStale = try await Self.put(client, id, userJSON("ifmatch.renamed"), headers: headers)
            #expect(renameStale.status == .preconditionFailed)
            let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(fetched.json?["title"]?.stringValue == "One")
            #expect(fetched.json?["userName"]?.stringValue == "ifmatch.user")
        }
    }

    @Test func groupMembersChangeValueByValue() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            var ids: [String] = []
            for index in 0..<4 {
                let user = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON("gm\(index)")))
                ids.append(try #require(user.json?["id"]?.stringValue))
            }
            func groupBody(_ members: [String], name: String = "PutGroup") -> String {
                let list = members.map { #"{"value":"\#($0)"}"# }.joined(separator: ",")
                return #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"\#(name)","members":[\#(list)]}"#
            }
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(groupBody(Array(ids[0...2]))))
            let groupID = try #require(group.json?["id"]?.stringValue)
            let replaced = try await client.execute(
                uri: "/scim/v2/Groups/\(groupID)", method: .put, headers: GatewayHarness.auth,
                body: jsonBody(groupBody([ids[1], ids[3]], name: "Renamed Group")))
            #expect(replaced.status == .ok)
            #expect(Set(replaced.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []) == [ids[1], ids[3]])
            #expect(replaced.json?["displayName"]?.stringValue == "Renamed Group")
            #expect(replaced.json?["id"]?.stringValue == groupID)
            let emptied = try await client.execute(
                uri: "/scim/v2/Groups/\(groupID)", method: .put, headers: GatewayHarness.auth,
                body: jsonBody(groupBody([], name: "Renamed Group")))
            #expect(emptied.status == .ok)
            #expect(emptied.json?["members"] == nil)
            let ldap = try await harness.ldap()
            let entry = try await ldap.search(base: harness.slapd.groupsDN, filter: .equal("entryUUID", groupID), attributes: ["member"])
            #expect(entry.entries.first?.strings("member") == ["cn=nobody,\(harness.slapd.suffix)"])
        }
    }
}
