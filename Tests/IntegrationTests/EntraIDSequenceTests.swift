import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

/// Microsoft Entra ID's provisioning sequence, as its documentation describes it ("Tutorial: Develop and plan
/// provisioning for a SCIM endpoint in Microsoft Entra ID"): look users up by userName, create, update with PATCH
/// (PascalCase ops, string booleans, dotted keys), deprovision with active=False, manage group membership with
/// PATCH, read groups with excludedAttributes=members. Asserts both the SCIM answers and the LDAP entries.
@Suite("Entra ID provisioning sequence")
struct EntraIDSequenceTests {
    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil)
        async throws -> TestResponse
    {
        var headers = GatewayHarness.auth
        headers[.contentType] = "application/scim+json"
        return try await client.execute(uri: "/scim/v2\(uri)", method: method, headers: headers, body: body.map { jsonBody($0) })
    }

    static func patch(_ operations: String) -> String {
        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operations)]}"#
    }

    @Test func userLifecycleAndGroupMembership() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            // 1. Lookup before create: an empty list, not 404.
            let miss = try await Self.call(client, .get, "/Users?filter=userName%20eq%20%22Test_User_ab6490ee%40contoso.test%22")
            #expect(miss.status == .ok)
            #expect(miss.json?["totalResults"] == .integer(0))

            // 2. Create, as Entra sends it.
            let created = try await Self.call(
                client, .post, "/Users",
                #"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee@contoso.test","active":true,
                 "emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@contoso.test"}],
                 "meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
                 "roles":[],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales"}}
                """#)
            #expect(created.status == .created, "\(created.json?["detail"]?.stringValue ?? "")")
            let id = try #require(created.json?["id"]?.stringValue)

            // 3. Lookups Entra uses: userName (case-insensitive), externalId, work email.
            for filter in [
                #"userName eq "test_user_ab6490ee@contoso.test""#, #"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#,
                #"emails[type eq "work"].value eq "Test_User_fd0ea19b@contoso.test""#,
            ] {
                let query = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let found = try await Self.call(client, .get, "/Users?filter=\(query)")
                #expect(found.json?["totalResults"] == .integer(1), "\(filter)")
                #expect(found.json?["Resources"]?[0]?["id"]?.stringValue == id, "\(filter)")
            }

            // 4. Updates: PascalCase ops, dotted keys, a manager as a bare id, a replace that adds a work email.
            let manager = try await Self.call(client, .post, "/Users", userJSON("Manager_1@contoso.test"))
            let managerID = try #require(manager.json?["id"]?.stringValue)
            let updated = try await Self.call(
                client, .patch, "/Users/\(id)",
                Self.patch(
                    #"""
                    {"op":"Replace","value":{"name.givenName":"Updated","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Marketing"}},
                    {"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"\#(managerID)"},
                    {"op":"Replace","path":"emails[type eq \"work\"].value","value":"updated@contoso.test"}
                    """#))
            #expect(updated.status == .ok, "\(updated.json?["detail"]?.stringValue ?? "")")
            #expect(updated.json?["name"]?["givenName"]?.stringValue == "Updated")
            #expect(updated.json?["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?["manager"]?["value"]?.stringValue == managerID)

            // 5. Deprovisioning: active "False" as a string; the entry stays, locked.
            let disabled = try await Self.call(client, .patch, "/Users/\(id)", Self.patch(#"{"op":"Replace","path":"active","value":"False"}"#))
            #expect(disabled.json?["active"]?.boolValue == false)
            let ldap = try await harness.ldap()
            let entry = try #require(
                try await ldap.search(
                    base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                    attributes: ["pwdAccountLockedTime", "mail", "manager", "departmentNumber", "givenName"]
                ).entries.first)
            #expect(entry.string("pwdAccountLockedTime") == "000001010000Z")
            #expect(entry.strings("mail") == ["updated@contoso.test"])
            #expect(entry.string("manager")?.lowercased() == "uid=manager_1@contoso.test,\(harness.slapd.peopleDN)".lowercased())
            #expect(entry.string("departmentNumber") == "Marketing")

            // 6. Groups: lookup, create, add and remove members, read without members.
            let groupMiss = try await Self.call(client, .get, "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22Sales%20Team%22")
            #expect(groupMiss.json?["totalResults"] == .integer(0))
            let group = try await Self.call(
                client, .post, "/Groups",
                #"""
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Sales Team","members":[]}
                """#)
            let gid = try #require(group.json?["id"]?.stringValue)
            let added = try await Self.call(
                client, .patch, "/Groups/\(gid)", Self.patch(#"{"op":"Add","path":"members","value":[{"value":"\#(id)"},{"value":"\#(managerID)"}]}"#)
            )
            #expect(added.status == .ok)
            let removed = try await Self.call(
                client, .patch, "/Groups/\(gid)", Self.patch(#"{"op":"Remove","path":"members","value":[{"value":"\#(managerID)"}]}"#))
            #expect(removed.json?["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [id])
            let light = try await Self.call(client, .get, "/Groups/\(gid)?excludedAttributes=members")
            #expect(light.json?["members"] == nil)
            #expect(light.json?["externalId"]?.stringValue == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159")
            let user = try await Self.call(client, .get, "/Users/\(id)")
            #expect(user.json?["groups"]?[0]?["value"]?.stringValue == gid)

            // 7. Much later: DELETE.
            let deleted = try await Self.call(client, .delete, "/Users/\(id)")
            #expect(deleted.status == .noContent)
            let after = try await Self.call(client, .get, "/Groups/\(gid)")
            #expect(after.json?["members"] == nil)
        }
    }
}
