import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import SCIMApp
import SCIMCore
import SCIMProvisioning
import SlapdHarness
import Testing

/// A second scim-gateway, on its own slapd, as the provisioning target: what one directory holds, the other
/// follows, users and groups with their members (translated to the second directory's ids).
@Suite("Outbound provisioning to a second scim-gateway", .serialized)
struct GatewayTargetTests {
    @Test func aSecondGatewayFollowsTheFirst() async throws {
        // The target: a gateway served over HTTP on a loopback port.
        let second = try await GatewayHarness.start()
        defer { second.stop() }
        let port = try ProcessRunner.freePort()
        let served = Task { try await second.gateway.httpApplication(port: port).runService(gracefulShutdownSignals: []) }
        defer { served.cancel() }
        let targetURL = "http://127.0.0.1:\(port)/scim/v2"

        let first = try await GatewayHarness.start { config in
            var target = GatewayConfig.Target(name: "gateway-2", url: targetURL)
            target.token = GatewayHarness.token
            target.reconcileSeconds = 0
            var provisioning = GatewayConfig.Provisioning()
            provisioning.targets = [target]
            provisioning.leaseSeconds = 3
            config.provisioning = provisioning
        }
        defer { first.stop() }
        let provisioner = first.gateway.provisioners(holder: "first")[0]
        let runner = Task { await provisioner.run() }
        defer { runner.cancel() }

        let (alice, bob, group) = try await first.application().test(.router) { client in
            func user(_ name: String, _ extra: String) async throws -> String {
                try #require(
                    try await client.execute(
                        uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                        body: jsonBody(userJSON(name, extra: extra))
                    ).json?["id"]?.stringValue)
            }
            let alice = try await user(
                "gw.alice",
                #""name":{"givenName":"Alice","familyName":"Gw"},"emails":[{"value":"gw.alice@example.org","type":"work","primary":true}]"#)
            let bob = try await user("gw.bob", #""name":{"givenName":"Bob","familyName":"Gw"}"#)
            let group = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"gw-team","members":[{"value":"\#(alice)"},{"value":"\#(bob)"}]}"#
                    )
                ).json?["id"]?.stringValue)
            return (alice, bob, group)
        }
        let token = GatewayHarness.token
        func users() async throws -> [JSONValue] { try await TargetProbe.list(targetURL, "/Users", token: token) }
        func groups() async throws -> [JSONValue] { try await TargetProbe.list(targetURL, "/Groups", token: token) }
        var remoteUsers: [JSONValue] = []
        var remoteGroups: [JSONValue] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            remoteUsers = try await users()
            remoteGroups = try await groups()
            if let g = resource(remoteGroups, externalId: group), ResourceDiff.memberIDs(of: g).count == 2 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let remoteAlice = try #require(resource(remoteUsers, externalId: alice))
        #expect(remoteAlice["userName"]?.stringValue == "gw.alice")
        #expect(remoteAlice["name"]?["familyName"]?.stringValue == "Gw")
        #expect(remoteAlice["emails"]?[0]?["value"]?.stringValue == "gw.alice@example.org")
        let remoteBob = try #require(resource(remoteUsers, externalId: bob))
        let remoteGroup = try #require(resource(remoteGroups, externalId: group))
        #expect(
            Set(ResourceDiff.memberIDs(of: remoteGroup)) == Set([remoteAlice["id"]?.stringValue, remoteBob["id"]?.stringValue].compactMap { $0 }))

        // In the second directory: real entries with the first directory's ids as externalId.
        let ldap = try await second.ldap()
        let entry = try #require(
            try await ldap.search(
                base: second.slapd.peopleDN, filter: .equal("uid", Array("gw.alice".utf8)),
                attributes: ["scimExternalId", "mail"]
            ).entries.first)
        #expect(entry.string("scimExternalId") == alice)
        #expect(entry.string("mail") == "gw.alice@example.org")

        // A member leaves in the first directory (LDAP, behind the gateway's back): it leaves in the second.
        let groupDN = try #require(
            try await first.ldap().search(
                base: first.slapd.groupsDN, filter: .equal("cn", Array("gw-team".utf8)),
                attributes: ["1.1"]
            ).entries.first?.dn)
        let bobDN = try #require(
            try await first.ldap().search(
                base: first.slapd.peopleDN, filter: .equal("uid", Array("gw.bob".utf8)),
                attributes: ["1.1"]
            ).entries.first?.dn)
        let admin = try await LDAPConnection.connect(first.slapd.adminConfiguration())
        _ = try await admin.modify(dn: groupDN, [.delete("member", [bobDN])], controls: [])
        let left = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < left {
            remoteGroups = try await groups()
            if let g = resource(remoteGroups, externalId: group), ResourceDiff.memberIDs(of: g).count == 1 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(
            ResourceDiff.memberIDs(of: try #require(resource(remoteGroups, externalId: group))) == [remoteAlice["id"]?.stringValue].compactMap { $0 })

        // Alice renamed with an LDAP modify as admin, behind the first gateway's back: the second follows.
        let aliceDN = try #require(
            try await first.ldap().search(
                base: first.slapd.peopleDN, filter: .equal("uid", Array("gw.alice".utf8)),
                attributes: ["1.1"]
            ).entries.first?.dn)
        _ = try await admin.modify(dn: aliceDN, [.replace("displayName", ["Alice From LDAP"])], controls: [])
        let renamed = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < renamed {
            remoteUsers = try await users()
            if resource(remoteUsers, externalId: alice)?["displayName"]?.stringValue == "Alice From LDAP" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(resource(remoteUsers, externalId: alice)?["displayName"]?.stringValue == "Alice From LDAP")

        // Alice locked and Bob deleted through the first gateway's API: the same in the second.
        _ = try await first.application().test(.router) { client in
            let locked = try await client.execute(
                uri: "/scim/v2/Users/\(alice)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#))
            #expect(locked.status == .ok)
            let deleted = try await client.execute(uri: "/scim/v2/Users/\(bob)", method: .delete, headers: GatewayHarness.auth)
            #expect(deleted.status == .noContent)
        }
        let done = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < done {
            remoteUsers = try await users()
            if resource(remoteUsers, externalId: alice)?["active"]?.boolValue == false, resource(remoteUsers, externalId: bob) == nil { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(resource(remoteUsers, externalId: alice)?["active"]?.boolValue == false)
        #expect(resource(remoteUsers, externalId: bob) == nil)
        let bobLeft = try await ldap.search(base: second.slapd.peopleDN, filter: .equal("uid", Array("gw.bob".utf8)), attributes: ["1.1"])
        #expect(bobLeft.entries.isEmpty)
    }
}
