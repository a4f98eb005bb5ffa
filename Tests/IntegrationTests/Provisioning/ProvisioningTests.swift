import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import Prometheus
import SCIMApp
import SCIMCore
import SCIMProvisioning
import Testing

/// Outbound provisioning against python's scim2-server and a real slapd: every assertion reads the target
/// (GETs), not the engine's bookkeeping; the recording proxy shows what went over the wire.
@Suite("Outbound provisioning to scim2-server", .serialized)
struct ProvisioningTests {
    @Test func userChangesThroughTheAPIAndThroughLDAPReachTheTarget() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let runner = f.run()
        defer { runner.cancel() }

        let id = try await f.api { client in
            try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON(
                        "prov.alice",
                        extra:
                            #""name":{"givenName":"Alice","familyName":"Liddell"},"displayName":"Alice L","emails":[{"value":"alice@example.org","type":"work","primary":true}]"#
                    ))
            ).json?["id"]?.stringValue
        }
        let userID = try #require(id)
        var users = try await f.eventually("/Users") { resource($0, externalId: userID) != nil }
        let pushed = try #require(resource(users, externalId: userID))
        #expect(pushed["userName"]?.stringValue == "prov.alice")
        #expect(pushed["displayName"]?.stringValue == "Alice L")
        #expect(pushed["emails"]?[0]?["value"]?.stringValue == "alice@example.org")
        #expect(pushed["password"] == nil)

        // Changed and locked through our API.
        _ = try await f.api { client in
            try await client.execute(
                uri: "/scim/v2/Users/\(userID)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Alice Changed"},{"op":"replace","path":"active","value":false}]}"#
                )
            ).status
        }
        users = try await f.eventually("/Users") {
            resource($0, externalId: userID)?["displayName"]?.stringValue == "Alice Changed"
                && resource($0, externalId: userID)?["active"]?.boolValue == false
        }
        #expect(resource(users, externalId: userID)?["displayName"]?.stringValue == "Alice Changed")
        #expect(resource(users, externalId: userID)?["active"]?.boolValue == false)

        // Changed behind the gateway's back, as an admin with ldapmodify.
        try await f.adminModify(try await f.dn(ofUser: "prov.alice"), [.replace("displayName", ["Alice From LDAP"])])
        users = try await f.eventually("/Users") { resource($0, externalId: userID)?["displayName"]?.stringValue == "Alice From LDAP" }
        #expect(resource(users, externalId: userID)?["displayName"]?.stringValue == "Alice From LDAP")
        // The update was a PATCH with only what changed.
        let patches = f.proxy.writes.filter { $0.method == "PATCH" }
        #expect(!patches.isEmpty)
        #expect(f.proxy.writes.filter { $0.method == "PUT" }.isEmpty)

        // Deleted through our API: deleted on the target (onRemove: delete).
        _ = try await f.api { client in
            try await client.execute(uri: "/scim/v2/Users/\(userID)", method: .delete, headers: GatewayHarness.auth).status
        }
        users = try await f.eventually("/Users") { resource($0, externalId: userID) == nil }
        #expect(resource(users, externalId: userID) == nil)
        let leftovers = users.filter { $0["userName"]?.stringValue == "prov.alice" }
        #expect(leftovers.isEmpty)

        // The target's metrics: pushes by result, the lag of each change, this instance as the leader.
        let buffer = try #require(f.harness.gateway.metrics).registry.emitToBuffer()
        let text = String(decoding: buffer, as: UTF8.self)
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect((value(#"scim_gateway_provisioning_pushes_total{target="cloud",result="created"}"#) ?? 0) >= 1, "\(text)")
        #expect((value(#"scim_gateway_provisioning_pushes_total{target="cloud",result="removed"}"#) ?? 0) >= 1)
        #expect((value(#"scim_gateway_provisioning_lag_seconds_count{target="cloud"}"#) ?? 0) >= 3)
        #expect(value(#"scim_gateway_provisioning_leader{target="cloud"}"#) == 1)
        // Every provisioning metric the Grafana dashboard queries is exported.
        let exported = PrometheusText(text).names
        let queried = Set(
            try MetricsTests.dashboardQueries().flatMap { PromQLMetricNames.names(in: $0) }
                .filter { $0.hasPrefix("scim_gateway_provisioning_") })
        #expect(queried.count >= 5)
        for name in queried { #expect(exported.contains(name), "the dashboard queries \(name), which is not exported") }
    }

    @Test func usersThatExistOnTheTargetAreAdoptedNotDuplicated() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        // Created on the target before provisioning began: no externalId.
        let byName = try await TargetProbe.send(
            .POST, f.target.url + "/Users", token: SCIMTargetServer.token,
            body: try JSONValue.parse(
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"adopt.byname","displayName":"Old"}"#))
        let byMail = try await TargetProbe.send(
            .POST, f.target.url + "/Users", token: SCIMTargetServer.token,
            body: try JSONValue.parse(
                #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"someone-else","emails":[{"value":"adopt.mail@example.org","primary":true}]}"#
            ))
        #expect(byName.0 == 201 && byMail.0 == 201)
        let remoteByName = try #require(byName.1?["id"]?.stringValue)
        let remoteByMail = try #require(byMail.1?["id"]?.stringValue)

        let ids = try await f.api { client in
            let a = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("adopt.byname", extra: #""displayName":"New""#))
            ).json?["id"]?.stringValue
            let b = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON(
                        "adopt.mail", extra: #""emails":[{"value":"adopt.mail@example.org","type":"work","primary":true}]"#))
            ).json?["id"]?.stringValue
            return [a, b]
        }
        let idByName = try #require(ids[0])
        let idByMail = try #require(ids[1])
        let report = try await f.engine.reconcile()
        #expect(report.counts["adopted"] == 2, "\(report.counts) \(f.proxy.requests.map { "\($0.method) \($0.path)" })")

        let users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        #expect(resource(users, externalId: idByName)?["id"]?.stringValue == remoteByName)
        #expect(resource(users, externalId: idByName)?["displayName"]?.stringValue == "New")
        #expect(resource(users, externalId: idByMail)?["id"]?.stringValue == remoteByMail)
        #expect(users.filter { $0["userName"]?.stringValue == "adopt.byname" }.count == 1)
        #expect(users.filter { ($0["emails"]?.arrayValue ?? []).contains { $0["value"]?.stringValue == "adopt.mail@example.org" } }.count == 1)
        // Nothing was created for the two adopted users.
        let created = f.proxy.creates.filter { ["adopt.byname", "adopt.mail"].contains($0.request.body?["userName"]?.stringValue ?? "") }
        #expect(created.isEmpty)
    }

    @Test func groupsArePushedAsPatchOpsByValue() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let runner = f.run()
        defer { runner.cancel() }
        let (a, b, c, group, outer) = try await f.api { client in
            func user(_ name: String) async throws -> String {
                try #require(
                    try await client.execute(
                        uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                        body: jsonBody(userJSON(name))
                    ).json?["id"]?.stringValue)
            }
            let a = try await user("member.a"), b = try await user("member.b"), c = try await user("member.c")
            let group = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"prov-team","members":[{"value":"\#(a)"},{"value":"\#(b)"}]}"#
                    )
                ).json?["id"]?.stringValue)
            let outer = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"prov-outer","members":[{"value":"\#(group)","type":"Group"}]}"#
                    )
                ).json?["id"]?.stringValue)
            return (a, b, c, group, outer)
        }
        var users = try await f.eventually("/Users") { Set(externalIDs($0)).isSuperset(of: [a, b, c]) }
        func remote(_ id: String) -> String? { resource(users, externalId: id)?["id"]?.stringValue }
        var groups = try await f.eventually("/Groups") { groups in
            let members = Set(resource(groups, externalId: group).map(ResourceDiff.memberIDs(of:)) ?? [])
            let nested = resource(groups, externalId: outer).map(ResourceDiff.memberIDs(of:)) ?? []
            return members.count == 2 && nested.count == 1
        }
        let remoteA = try #require(remote(a)), remoteB = try #require(remote(b)), remoteC = try #require(remote(c))
        #expect(Set(ResourceDiff.memberIDs(of: try #require(resource(groups, externalId: group)))) == [remoteA, remoteB])
        // The nested group's member is the target's id of the inner group.
        let remoteGroup = try #require(resource(groups, externalId: group)?["id"]?.stringValue)
        #expect(ResourceDiff.memberIDs(of: try #require(resource(groups, externalId: outer))) == [remoteGroup])

        // Rename, add c, remove a.
        f.proxy.clear()
        _ = try await f.api { client in
            try await client.execute(
                uri: "/scim/v2/Groups/\(group)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"prov-team-renamed"},{"op":"add","path":"members","value":[{"value":"\#(c)"}]},{"op":"remove","path":"members[value eq \"\#(a)\"]"}]}"#
                )
            ).status
        }
        groups = try await f.eventually("/Groups") { groups in
            guard let g = resource(groups, externalId: group) else { return false }
            return g["displayName"]?.stringValue == "prov-team-renamed" && Set(ResourceDiff.memberIDs(of: g)) == [remoteB, remoteC]
        }
        let renamed = try #require(resource(groups, externalId: group))
        #expect(renamed["displayName"]?.stringValue == "prov-team-renamed")
        #expect(Set(ResourceDiff.memberIDs(of: renamed)) == [remoteB, remoteC])
        // On the wire: PatchOps only, members by value, never the whole list.
        let groupWrites = f.proxy.writes.filter { $0.path.hasPrefix("/Groups") }
        #expect(!groupWrites.isEmpty)
        #expect(groupWrites.allSatisfy { $0.method == "PATCH" }, "\(groupWrites.map(\.method))")
        let operations = groupWrites.flatMap { $0.body?["Operations"]?.arrayValue ?? [] }
        #expect(operations.contains { $0["op"]?.stringValue == "replace" && $0["path"]?.stringValue == "displayName" })
        #expect(
            operations.contains {
                $0["op"]?.stringValue == "add" && $0["path"]?.stringValue == "members"
                    && $0["value"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == [remoteC]
            })
        #expect(operations.contains { $0["op"]?.stringValue == "remove" && $0["path"]?.stringValue == "members[value eq \"\(remoteA)\"]" })
        #expect(!operations.contains { $0["op"]?.stringValue == "replace" && ($0["path"]?.stringValue ?? "").hasPrefix("members") })
        users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
    }

    @Test func aTargetWithoutPatchGetsPuts() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        f.proxy.refusePatch(true)
        let runner = f.run()
        defer { runner.cancel() }
        let (a, b, group) = try await f.api { client in
            func user(_ name: String) async throws -> String {
                try #require(
                    try await client.execute(
                        uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                        body: jsonBody(userJSON(name))
                    ).json?["id"]?.stringValue)
            }
            let a = try await user("put.a"), b = try await user("put.b")
            let group = try #require(
                try await client.execute(
                    uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"put-team","members":[{"value":"\#(a)"}]}"#)
                ).json?["id"]?.stringValue)
            return (a, b, group)
        }
        _ = try await f.eventually("/Groups") { resource($0, externalId: group) != nil }
        // A user changed, the group renamed and given a second member: each arrives as a PUT.
        f.proxy.clear()
        try await f.adminModify(try await f.dn(ofUser: "put.a"), [.replace("displayName", ["Put Changed"])])
        _ = try await f.api { client in
            try await client.execute(
                uri: "/scim/v2/Groups/\(group)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"put-team-renamed"},{"op":"add","path":"members","value":[{"value":"\#(b)"}]}]}"#
                )
            ).status
        }
        let users = try await f.eventually("/Users") { resource($0, externalId: a)?["displayName"]?.stringValue == "Put Changed" }
        let remoteA = try #require(resource(users, externalId: a)?["id"]?.stringValue)
        let remoteB = try #require(resource(users, externalId: b)?["id"]?.stringValue)
        let groups = try await f.eventually("/Groups") { groups in
            guard let g = resource(groups, externalId: group) else { return false }
            return g["displayName"]?.stringValue == "put-team-renamed" && Set(ResourceDiff.memberIDs(of: g)) == [remoteA, remoteB]
        }
        #expect(Set(ResourceDiff.memberIDs(of: try #require(resource(groups, externalId: group)))) == [remoteA, remoteB])
        let writes = f.proxy.writes
        #expect(!writes.contains { $0.method == "PATCH" }, "\(writes.map { "\($0.method) \($0.path)" })")
        #expect(writes.contains { $0.method == "PUT" && $0.path.hasPrefix("/Users/") && $0.body?["displayName"]?.stringValue == "Put Changed" })
        #expect(writes.contains { $0.method == "PUT" && $0.path.hasPrefix("/Groups/") })
    }

    @Test func replayingEverythingChangesNothingOnTheTarget() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        _ = try await f.api { client in
            for index in 0..<5 {
                _ = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON("replay.\(index)", extra: #""displayName":"Replay \#(index)""#)))
            }
        }
        let first = try await f.engine.reconcile()
        #expect((first.counts["created"] ?? 0) >= 5)
        let before = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        f.proxy.clear()
        let second = try await f.engine.reconcile()
        #expect(second.counts["created"] == nil && second.counts["updated"] == nil, "\(second.counts)")
        #expect(f.proxy.writes.isEmpty, "\(f.proxy.writes.map { "\($0.method) \($0.path)" })")
        let after = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        #expect(before.count == after.count)
        #expect(Set(after.compactMap { $0["userName"]?.stringValue }).count == after.count)
    }

    @Test func driftOnTheTargetIsRepairedByReconciliation() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        let id = try await f.api { client in
            try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("drift.user", extra: #""displayName":"Right""#))
            ).json?["id"]?.stringValue
        }
        let userID = try #require(id)
        _ = try await f.engine.reconcile()
        var users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        let remoteID = try #require(resource(users, externalId: userID)?["id"]?.stringValue)
        // Edited by hand on the target, then deleted by hand.
        _ = try await TargetProbe.send(
            .PATCH, f.target.url + "/Users/\(remoteID)", token: SCIMTargetServer.token,
            body: try JSONValue.parse(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Wrong"}]}"#
            ))
        _ = try await f.engine.reconcile()
        users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        #expect(resource(users, externalId: userID)?["displayName"]?.stringValue == "Right")
        _ = try await TargetProbe.send(.DELETE, f.target.url + "/Users/\(remoteID)", token: SCIMTargetServer.token, body: nil)
        _ = try await f.engine.reconcile()
        users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        #expect(resource(users, externalId: userID)?["displayName"]?.stringValue == "Right")
        #expect(users.filter { $0["userName"]?.stringValue == "drift.user" }.count == 1)
    }

    @Test func anInitialSyncCreatesThroughBulkRequests() async throws {
        let f = try await ProvisioningFixture.start()
        defer { f.stop() }
        var ids: [String] = []
        for index in 0..<12 { ids.append(try await f.createUser("bulk.\(index)")) }
        f.proxy.clear()
        let report = try await f.engine.reconcile()
        #expect(report.bulkRequests >= 1, "\(report.counts)")
        let creates = f.proxy.creates.filter { ($0.request.body?["userName"]?.stringValue ?? "").hasPrefix("bulk.") }
        #expect(creates.count == 12 && creates.allSatisfy(\.bulk), "\(f.proxy.requests.map { "\($0.method) \($0.path)" })")
        // On the target once each, with our id; each recorded as synced with the target's id from its operation.
        let users = try await TargetProbe.list(f.target.url, "/Users", token: SCIMTargetServer.token)
        #expect(users.filter { ($0["userName"]?.stringValue ?? "").hasPrefix("bulk.") }.count == 12)
        for id in ids {
            let remote = try #require(resource(users, externalId: id))
            let record = try await f.engine.state.record(id)
            #expect(record?.status == .synced && record?.remoteID == remote["id"]?.stringValue, "\(String(describing: record))")
        }
        // Replayed: nothing to create, no Bulk request.
        f.proxy.clear()
        let again = try await f.engine.reconcile()
        #expect(again.bulkRequests == 0 && f.proxy.writes.isEmpty, "\(f.proxy.writes.map { "\($0.method) \($0.path)" })")
    }
}
