import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

@Suite("PATCH (RFC 7644 §3.5.2) with what Entra ID and Okta send")
struct PatchTests {
    static func patch(_ client: some TestClientProtocol, _ path: String, _ operations: String, query: String = "")
        async throws -> TestResponse
    {
        try await client.execute(
            uri: "/scim/v2/\(path)\(query)", method: .patch, headers: GatewayHarness.auth,
            body: jsonBody(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operations)]}"#))
    }

    @Test func userAttributesEntraStyle() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON("patch.user", extra: #""name":{"givenName":"P","familyName":"User"},"emails":[{"value":"home@x.test","type":"home"}]"#)))
            let id = try #require(created.json?["id"]?.stringValue)
            // Entra: PascalCase op, path-less replace with dotted keys and extension URN keys, "False" as a string.
            let entra = try await Self.patch(
                client, "Users/\(id)",
                #"""
                {"op":"Replace","value":{"name.givenName":"Patched","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Ops","active":"False","id":"\#(id)"}}
                """#)
            #expect(entra.status == .ok, "\(entra.json?["detail"]?.stringValue ?? "")")
            #expect(entra.json?["name"]?["givenName"]?.stringValue == "Patched")
            #expect(entra.json?["name"]?["familyName"]?.stringValue == "User")
            #expect(entra.json?["active"]?.boolValue == false)
            #expect(entra.json?["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?["department"]?.stringValue == "Ops")
            // Entra: replace emails[type eq "work"].value when there is no work email adds one.
            let work = try await Self.patch(client, "Users/\(id)", #"{"op":"replace","path":"emails[type eq \"work\"].value","value":"work@x.test"}"#)
            #expect(work.status == .ok)
            let emails = work.json?["emails"]?.arrayValue ?? []
            #expect(emails.contains { $0["type"]?.stringValue == "work" && $0["value"]?.stringValue == "work@x.test" })
            #expect(emails.contains { $0["value"]?.stringValue == "home@x.test" })
            // Okta: active true again; remove an attribute with a path.
            let okta = try await Self.patch(
                client, "Users/\(id)", #"{"op":"replace","value":{"active":true}},{"op":"remove","path":"emails[type eq \"home\"]"}"#)
            #expect(okta.json?["active"]?.boolValue == true)
            #expect(okta.json?["emails"]?.arrayValue?.count == 1)
            // The directory lock follows active.
            let ldap = try await harness.ldap()
            let entry = try await ldap.search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                attributes: ["pwdAccountLockedTime", "mail"])
            #expect(entry.entries.first?.string("pwdAccountLockedTime") == nil)
            #expect(entry.entries.first?.strings("mail") == ["work@x.test"])
            // Errors: unknown attribute, read-only, remove without path.
            let unknown = try await Self.patch(client, "Users/\(id)", #"{"op":"replace","path":"nope","value":"x"}"#)
            #expect(unknown.json?["scimType"]?.stringValue == "invalidPath")
            let readOnly = try await Self.patch(client, "Users/\(id)", #"{"op":"replace","path":"id","value":"x"}"#)
            #expect(readOnly.json?["scimType"]?.stringValue == "mutability")
            let noTarget = try await Self.patch(client, "Users/\(id)", #"{"op":"remove"}"#)
            #expect(noTarget.json?["scimType"]?.stringValue == "noTarget")
            let rename = try await Self.patch(client, "Users/\(id)", #"{"op":"replace","path":"userName","value":"patch.renamed"}"#)
            #expect(rename.json?["userName"]?.stringValue == "patch.renamed")
            #expect(rename.json?["id"]?.stringValue == id)
        }
    }

    @Test func membershipChangesWithoutReadingTheGroup() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            var ids: [String] = []
            for index in 0..<3 {
                let user = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON("pm\(index)")))
                ids.append(try #require(user.json?["id"]?.stringValue))
            }
            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Patched Group"}"#))
            let gid = try #require(group.json?["id"]?.stringValue)
            let add = try await Self.patch(
                client, "Groups/\(gid)",
                #"{"op":"add","path":"members","value":[{"value":"\#(ids[0])"},{"value":"\#(ids[1])"},{"value":"\#(ids[2])"}]}"#,
                query: "?excludedAttributes=members")
            #expect(add.status == .ok)
            #expect(add.json?["members"] == nil)
            // Entra: remove exactly the listed members.
            let entra = try await Self.patch(client, "Groups/\(gid)", #"{"op":"Remove","path":"members","value":[{"value":"\#(ids[0])"}]}"#)
            #expect(Set(entra.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []) == [ids[1], ids[2]])
            // Okta: remove by filter, rename with a path-less replace.
            let okta = try await Self.patch(
                client, "Groups/\(gid)",
                #"{"op":"remove","path":"members[value eq \"\#(ids[1])\"]"},{"op":"replace","value":{"displayName":"Renamed"}}"#)
            #expect(okta.json?["displayName"]?.stringValue == "Renamed")
            #expect(okta.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [ids[2]])
            // Removing the last member leaves the (hidden) placeholder; unknown members are refused.
            let last = try await Self.patch(client, "Groups/\(gid)", #"{"op":"remove","path":"members[value eq \"\#(ids[2])\"]"}"#)
            #expect(last.status == .ok)
            #expect(last.json?["members"] == nil)
            let unknown = try await Self.patch(
                client, "Groups/\(gid)", #"{"op":"add","path":"members","value":[{"value":"00000000-0000-0000-0000-000000000000"}]}"#)
            #expect(unknown.json?["scimType"]?.stringValue == "invalidValue")
            let ldap = try await harness.ldap()
            let entry = try await ldap.search(base: harness.slapd.groupsDN, filter: .equal("entryUUID", gid), attributes: ["member", "cn"])
            #expect(entry.entries.first?.strings("member") == ["cn=nobody,\(harness.slapd.suffix)"])
            // Stale If-Match on a membership change: 412, nothing changed.
            var headers = GatewayHarness.auth
            headers[.ifMatch] = "W/\"20000101000000.000000Z#000000#000#000000\""
            let stale = try await client.execute(
                uri: "/scim/v2/Groups/\(gid)", method: .patch, headers: headers,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(ids[0])"}]}]}"#
                ))
            #expect(stale.status == .preconditionFailed)
        }
    }

    @Test func passwordChangesGoThroughThePasswordPolicy() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("pw.user")))
            let id = try #require(created.json?["id"]?.stringValue)
            let short = try await Self.patch(client, "Users/\(id)", #"{"op":"replace","path":"password","value":"short"}"#)
            #expect(short.status == .badRequest)
            #expect(short.json?["scimType"]?.stringValue == "invalidValue")
            #expect(short.json?["detail"]?.stringValue?.contains("short") == true)
            let good = try await Self.patch(client, "Users/\(id)", #"{"op":"replace","value":{"password":"Long-Enough-Pass-7"}}"#)
            #expect(good.status == .ok)
            #expect(good.json?["password"] == nil)
            var asUser = harness.slapd.serviceConfiguration()
            asUser.bind = .simple(dn: "uid=pw.user,\(harness.slapd.peopleDN)", password: LDAPSecret("Long-Enough-Pass-7"))
            let connection = try await LDAPConnection.connect(asUser)
            #expect(try await connection.whoAmI().lowercased() == "dn:uid=pw.user,\(harness.slapd.peopleDN)".lowercased())
        }
    }

    @Test func strictClientsGetNoTargetForAReplaceThatMatchesNothing() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("strict.user")))
            let id = try #require(created.json?["id"]?.stringValue)
            var strict = GatewayHarness.auth
            strict[.authorization] = "Bearer \(GatewayHarness.strictToken)"
            let body =
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"w@x.test"}]}"#
            let refused = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .patch, headers: strict, body: jsonBody(body))
            #expect(refused.status == .badRequest)
            #expect(refused.json?["scimType"]?.stringValue == "noTarget")
            let lenient = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .patch, headers: GatewayHarness.auth, body: jsonBody(body))
            #expect(lenient.status == .ok)
            #expect(lenient.json?["emails"]?[0]?["value"]?.stringValue == "w@x.test")
        }
    }
}
