import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import SCIMApp
import SCIMCore
import SCIMProvisioning
import SlapdHarness
import Testing

/// A 10,000-member group: after the initial sync, one member in and one out are two PatchOp operations by
/// value on the wire, never the member list again.
@Suite("Outbound provisioning of a 10,000-member group", .serialized)
struct LargeGroupProvisioningTests {
    static let count = 10_000

    static func directory(peopleDN: String, groupsDN: String) -> (users: String, group: String) {
        var users = ""
        users.reserveCapacity(count * 200)
        for index in 0...count {
            users +=
                "dn: uid=big\(index),\(peopleDN)\nobjectClass: inetOrgPerson\nobjectClass: scimUser\nuid: big\(index)\ncn: Big \(index)\nsn: Big\n\n"
        }
        var group = "dn: cn=big,\(groupsDN)\nobjectClass: groupOfNames\nobjectClass: scimGroup\ncn: big\n"
        for index in 0..<count { group += "member: uid=big\(index),\(peopleDN)\n" }
        return (users, group)
    }

    @Test func memberChangesOfAHugeGroupArePatchOpsByValue() async throws {
        let target = try await SCIMTargetServer.start()
        defer { target.stop() }
        let proxy = try await RecordingProxy.start(upstream: target.url)
        defer { proxy.stop() }
        let suffix = "dc=example,dc=org"
        let data = Self.directory(peopleDN: "ou=people,\(suffix)", groupsDN: "ou=groups,\(suffix)")
        let harness = try await GatewayHarness.start(poolSize: 8, options: SlapdOptions(offlineLDIF: data.users + "\n" + data.group)) { config in
            var settings = GatewayConfig.Target(name: "cloud", url: proxy.url)
            settings.token = SCIMTargetServer.token
            settings.concurrency = 8
            var provisioning = GatewayConfig.Provisioning()
            provisioning.targets = [settings]
            config.provisioning = provisioning
        }
        defer { harness.stop() }
        let engine = harness.gateway.provisioning[0]
        let started = ContinuousClock.now
        let report = try await engine.reconcile()
        let elapsed = ContinuousClock.now - started
        print("initial sync of \(Self.count + 1) users and a \(Self.count)-member group: \(elapsed), \(report.counts)")
        #expect(report.counts["created"] == Self.count + 2, "\(report.counts)")
        let groups = try await TargetProbe.list(target.url, "/Groups", token: SCIMTargetServer.token)
        let big = try #require(groups.first { $0["displayName"]?.stringValue == "big" })
        #expect(ResourceDiff.memberIDs(of: big).count == Self.count)

        // One in (big10000), one out (big0), in LDAP as an admin would.
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        _ = try await admin.modify(
            dn: "cn=big,\(harness.slapd.groupsDN)",
            [
                .add("member", ["uid=big\(Self.count),\(harness.slapd.peopleDN)"]), .delete("member", ["uid=big0,\(harness.slapd.peopleDN)"]),
            ], controls: [])
        let users = try await TargetProbe.list(target.url, "/Users", token: SCIMTargetServer.token)
        func remote(_ name: String) -> String? { users.first { $0["userName"]?.stringValue == name }?["id"]?.stringValue }
        let groupID = try #require(harness.gateway.provisioning.isEmpty ? nil : big["externalId"]?.stringValue)
        proxy.clear()
        let action = await engine.sync(localID: groupID, typeName: "Group")
        #expect(action == .update(operations: 2), "\(action)")
        let writes = proxy.writes
        #expect(writes.count == 2, "\(writes.map { "\($0.method) \($0.path)" })")
        #expect(writes.allSatisfy { $0.method == "PATCH" })
        let operations = writes.flatMap { $0.body?["Operations"]?.arrayValue ?? [] }
        #expect(operations.count == 2)
        #expect(
            operations.contains {
                $0["op"]?.stringValue == "add"
                    && $0["value"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [remote("big\(Self.count)")].compactMap { $0 }
            })
        #expect(
            operations.contains { $0["op"]?.stringValue == "remove" && $0["path"]?.stringValue == "members[value eq \"\(remote("big0") ?? "?")\"]" })
        let after = try #require(try await TargetProbe.get(target.url + "/Groups/\(big["id"]?.stringValue ?? "")", token: SCIMTargetServer.token))
        let members = Set(ResourceDiff.memberIDs(of: after))
        #expect(members.count == Self.count)
        #expect(members.contains(remote("big\(Self.count)") ?? "?") && !members.contains(remote("big0") ?? "?"))
    }
}
