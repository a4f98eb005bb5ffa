import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

func filterURI(_ path: String, _ filter: String) -> String {
    "/scim/v2/\(path)?filter=\(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
}

/// Rauthy's SCIM client, after its documentation ("SCIM" in the Rauthy book, client section): users found by
/// externalId then userName, groups by externalId then displayName; users created with POST and updated with PUT;
/// groups updated with PATCH (replace for the group, add/remove for members); when Rauthy stops managing a
/// resource it removes the externalId instead of deleting.
@Suite("Rauthy provisioning sequence")
struct RauthySequenceTests {
    @Test func rauthySequence() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            #expect(
                try await client.execute(uri: filterURI("Users", #"externalId eq "rauthy-1""#), method: .get, headers: auth)
                    .json?["totalResults"] == .integer(0))
            #expect(
                try await client.execute(uri: filterURI("Users", #"userName eq "r.user""#), method: .get, headers: auth)
                    .json?["totalResults"] == .integer(0))
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(
                    userJSON("r.user", extra: #""externalId":"rauthy-1","displayName":"R User","emails":[{"value":"r@example.org","primary":true}]"#))
            )
            let id = try #require(created.json?["id"]?.stringValue)
            let updated = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: auth,
                body: jsonBody(
                    userJSON("r.user", extra: #""externalId":"rauthy-1","displayName":"R. User","emails":[{"value":"r@example.org","primary":true}]"#)
                ))
            #expect(updated.json?["displayName"]?.stringValue == "R. User")

            let group = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"rauthy-g1","displayName":"admins"}"#))
            let gid = try #require(group.json?["id"]?.stringValue)
            #expect(
                try await client.execute(uri: filterURI("Groups", #"externalId eq "rauthy-g1""#), method: .get, headers: auth)
                    .json?["Resources"]?[0]?["id"]?.stringValue == gid)
            #expect(
                try await client.execute(uri: filterURI("Groups", #"displayName eq "admins""#), method: .get, headers: auth)
                    .json?["totalResults"] == .integer(1))
            let patched = try await client.execute(
                uri: "/scim/v2/Groups/\(gid)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"administrators"}},{"op":"add","path":"members","value":[{"value":"\#(id)"}]}]}"#
                ))
            #expect(patched.json?["displayName"]?.stringValue == "administrators")
            #expect(patched.json?["members"]?[0]?["value"]?.stringValue == id)

            // Unmanage: the externalId goes, the entry stays.
            let unmanaged = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"externalId"}]}"#))
            #expect(unmanaged.status == .ok)
            #expect(unmanaged.json?["externalId"] == nil)
            let entry = try await harness.ldap().search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                attributes: ["scimExternalId", "uid"])
            #expect(entry.entries.count == 1)
            #expect(entry.entries.first?.string("scimExternalId") == nil)
        }
    }
}

/// A provisioning dashboard (Stackspin provisioning Nextcloud and similar, after Stackspin's SCIM documentation):
/// looks users up by externalId, falls back to userName and e-mail for users created before SCIM, updates with PUT,
/// deprovisions with active=false, grants admin rights by adding/removing the user in an admin group.
@Suite("Dashboard provisioning sequence")
struct DashboardSequenceTests {
    @Test func dashboardSequence() async throws {
        // A user that predates SCIM: plain inetOrgPerson with mail, no scim attributes at all.
        let legacy =
            "dn: uid=legacy,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: legacy\ncn: Legacy User\nsn: User\nmail: legacy@example.org\n"
        let harness = try await GatewayHarness.start(options: SlapdOptions(offlineLDIF: legacy))
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            #expect(
                try await client.execute(uri: filterURI("Users", #"externalId eq "dash-7""#), method: .get, headers: auth)
                    .json?["totalResults"] == .integer(0))
            let byMail = try await client.execute(uri: filterURI("Users", #"emails.value eq "legacy@example.org""#), method: .get, headers: auth)
            #expect(byMail.json?["totalResults"] == .integer(1))
            let id = try #require(byMail.json?["Resources"]?[0]?["id"]?.stringValue)
            #expect(byMail.json?["Resources"]?[0]?["emails"]?[0]?["value"]?.stringValue == "legacy@example.org")
            // Adopt it: PUT with the dashboard's externalId (the auxiliary class is added on the way).
            let adopted = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: auth,
                body: jsonBody(
                    userJSON(
                        "legacy",
                        extra:
                            #""externalId":"dash-7","name":{"givenName":"Legacy","familyName":"User"},"emails":[{"value":"legacy@example.org","primary":true}]"#
                    )))
            #expect(adopted.status == .ok, "\(adopted.json?["detail"]?.stringValue ?? "")")
            #expect(
                try await client.execute(uri: filterURI("Users", #"externalId eq "dash-7""#), method: .get, headers: auth)
                    .json?["Resources"]?[0]?["id"]?.stringValue == id)
            // Admin rights through an admin group, then deprovisioning.
            let admins = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"admin","members":[{"value":"\#(id)"}]}"#))
            let gid = try #require(admins.json?["id"]?.stringValue)
            let revoked = try await client.execute(
                uri: "/scim/v2/Groups/\(gid)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"\#(id)\"]"}]}"#
                ))
            #expect(revoked.json?["members"] == nil)
            let disabled = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: auth,
                body: jsonBody(
                    userJSON("legacy", extra: #""externalId":"dash-7","active":false,"emails":[{"value":"legacy@example.org","primary":true}]"#)))
            #expect(disabled.json?["active"]?.boolValue == false)
            let entry = try await harness.ldap().search(
                base: harness.slapd.peopleDN, filter: .equal("entryUUID", id),
                attributes: ["pwdAccountLockedTime", "objectClass", "mail"])
            #expect(entry.entries.first?.string("pwdAccountLockedTime") == "000001010000Z")
            #expect(entry.entries.first?.strings("objectClass").contains { $0.caseInsensitiveEquals("scimUser") } == true)
            #expect(entry.entries.first?.strings("mail") == ["legacy@example.org"])
        }
    }
}
