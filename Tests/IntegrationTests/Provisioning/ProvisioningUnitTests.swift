import Foundation
import OrderedCollections
import SCIMApp
import SCIMCore
@testable import SCIMProvisioning
import Testing

/// The provisioning logic that needs no directory and no target: what is sent, what differs, the change queue,
/// backoff and the target settings.
@Suite("Provisioning logic (unit)")
struct ProvisioningUnitTests {
    static let user = try! JSONValue.parse(
        #"""
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "id":"local-1","meta":{"resourceType":"User","version":"W/\"1\""},"userName":"ada","displayName":"Ada",
         "groups":[{"value":"g1"}],"x509Certificates":[{"value":"MIIB"}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","costCenter":"42"}}
        """#)

    @Test func bulkAnswersAreMatchedToTheirOperations() throws {
        let answers =
            try JSONValue.parse(
                #"""
                [{"method":"POST","bulkId":"a","status":"201","location":"https://t.example/v2/Users/r%2D1","version":"W/\"1\""},
                 {"method":"POST","bulkId":"b","status":201,"response":{"id":"r-2","userName":"bo"}},
                 {"method":"POST","bulkId":"c","status":"409","response":{"status":"409","scimType":"uniqueness","detail":"taken"}},
                 {"method":"POST","bulkId":"d","status":"503"},
                 {"method":"POST","bulkId":"e","status":"201"},
                 {"method":"POST","status":"201","location":"https://t.example/v2/Users/x"}]
                """#
            ).arrayValue ?? []
        let outcomes = BulkBatcher.outcomes(of: answers)
        guard case .created(let a) = outcomes["a"], case .created(let b) = outcomes["b"] else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(a["id"]?.stringValue == "r-1")
        #expect(b["id"]?.stringValue == "r-2" && b["userName"]?.stringValue == "bo")
        guard case .failed(let conflict) = outcomes["c"], case .failed(let busy) = outcomes["d"], case .failed(let noID) = outcomes["e"] else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(conflict.status == 409 && conflict.scimType == "uniqueness" && !conflict.retryable)
        #expect(busy.status == 503 && busy.retryable)
        #expect(noID.status == 201)
        #expect(outcomes.count == 5)
        // The target's Bulk limits: only a useful Bulk is used.
        let offered = TargetCapabilities(
            serviceProviderConfig: try JSONValue.parse(
                #"{"patch":{"supported":false},"bulk":{"supported":true,"maxOperations":1000,"maxPayloadSize":1048576}}"#))
        #expect(offered.patch == false && offered.bulk == BulkLimits(maxOperations: 1000, maxPayloadSize: 1_048_576))
        let useless = TargetCapabilities(
            serviceProviderConfig: try JSONValue.parse(#"{"bulk":{"supported":true,"maxOperations":1,"maxPayloadSize":1048576}}"#))
        #expect(useless.patch && useless.bulk == nil)
        #expect(TargetCapabilities(serviceProviderConfig: try JSONValue.parse(#"{"bulk":{"supported":false}}"#)).bulk == nil)
    }

    @Test func theDesiredResourceCarriesOurIdAndNothingServerOwned() throws {
        let filter = AttributeFilter(allowed: nil, excluded: TargetSettings.defaultExcluded)
        let (desired, unresolved) = DesiredResource.make(from: Self.user, localID: "local-1", attributes: filter) { _ in nil }
        let body = desired.body
        #expect(body["externalId"]?.stringValue == "local-1")
        #expect(body["id"] == nil && body["meta"] == nil && body["groups"] == nil && body["x509Certificates"] == nil)
        #expect(body["userName"]?.stringValue == "ada")
        #expect(body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?["costCenter"]?.stringValue == "42")
        #expect(unresolved.isEmpty)
        // An allow-list keeps only what it names (and always externalId and the core schema).
        let narrow = AttributeFilter(
            allowed: ["userName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"], excluded: [])
        let (small, _) = DesiredResource.make(from: Self.user, localID: "local-1", attributes: narrow) { _ in nil }
        #expect(Set(small.attributes.keys) == ["schemas", "userName", "externalId", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"])
        #expect(small.attributes["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?["costCenter"] == nil)
    }

    @Test func membersAreTranslatedAndTheUnknownReported() throws {
        let group = try JSONValue.parse(
            #"{"id":"g","displayName":"team","members":[{"value":"a"},{"value":"b"},{"value":"a"},{"value":"c","type":"Group"}]}"#)
        let ids = ["a": "remote-a", "c": "remote-c"]
        let (desired, unresolved) = DesiredResource.make(from: group, localID: "g", attributes: AttributeFilter(allowed: nil, excluded: [])) {
            ids[$0]
        }
        #expect(desired.memberIDs == ["remote-a", "remote-c"])
        #expect(unresolved == ["b"])
    }

    @Test func whatATargetAddedIsNotADifference() throws {
        let (desired, _) = DesiredResource.make(
            from: Self.user, localID: "local-1",
            attributes: AttributeFilter(allowed: nil, excluded: TargetSettings.defaultExcluded)
        ) { _ in nil }
        var remote = desired.body.objectValue ?? [:]
        remote["id"] = "r1"
        remote["meta"] = .object(["created": "2026-01-01T00:00:00Z"])
        remote["active"] = true  // a target default
        let managed: Set<String> = ["username", "displayname", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:costcenter"]
        #expect(ResourceDiff.operations(remote: .object(remote), desired: desired, managed: managed).isEmpty)
        // A value changed by hand is replaced; a managed value we no longer have is removed.
        remote["displayName"] = "Changed by hand"
        remote["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = .object(["employeeNumber": "7", "costCenter": "1", "division": "x"])
        var fewer = desired
        fewer.attributes["displayName"] = nil
        let ops = ResourceDiff.operations(
            remote: .object(remote), desired: fewer,
            managed: managed.union(["urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:division"]))
        #expect(ops.contains { $0["op"] == "replace" && $0["path"] == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter" })
        #expect(ops.contains { $0["op"] == "remove" && $0["path"] == "displayName" })
        #expect(ops.contains { $0["op"] == "remove" && $0["path"] == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division" })
        #expect(ops.count == 3)
    }

    @Test func multiValuedValuesCompareAsSets() throws {
        let desired = try JSONValue.parse(#"[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"}]"#)
        let reordered = try JSONValue.parse(#"[{"value":"b@x","type":"home","primary":false},{"value":"a@x","type":"work"}]"#)
        let extra = try JSONValue.parse(#"[{"value":"a@x","type":"work"},{"value":"b@x","type":"home"},{"value":"c@x"}]"#)
        #expect(ResourceDiff.covers(reordered, desired))
        #expect(!ResourceDiff.covers(extra, desired))
        #expect(!ResourceDiff.covers(.string("1"), .integer(1)))
        #expect(ResourceDiff.covers(.number(1), .integer(1)))
    }

    @Test func memberChangesAreAddAndRemoveByValueInChunks() {
        let current = (0..<1200).map { "m\($0)" }
        let wanted = Array(current.dropFirst(2)) + ["n1"]
        let requests = ResourceDiff.memberOperations(remote: current, desired: wanted, chunk: 500)
        #expect(requests.count == 2)
        #expect(requests[0] == [ResourceDiff.op("add", path: "members", value: [["value": "n1"]])])
        #expect(
            requests[1] == [ResourceDiff.op("remove", path: #"members[value eq "m0"]"#), ResourceDiff.op("remove", path: #"members[value eq "m1"]"#)])
        let many = ResourceDiff.memberOperations(remote: [], desired: (0..<1001).map { "x\($0)" }, chunk: 500)
        #expect(many.map { $0[0]["value"]?.arrayValue?.count } == [500, 500, 1])
        #expect(ResourceDiff.memberOperations(remote: current, desired: current).isEmpty)
        // A value with a quote cannot break out of the filter.
        #expect(ResourceDiff.quoted(#"a"b\c"#) == #""a\"b\\c""#)
    }

    @Test func theQueueDeduplicatesAndRecordsOnlyASafeCookie() async {
        let queue = ChangeQueue(capacity: 3)
        await queue.push(.init(localID: "a", typeName: "User", force: false))
        await queue.received(cookie: [1])
        await queue.push(.init(localID: "a", typeName: "User", force: true))
        await queue.push(.init(localID: "b", typeName: nil, force: false))
        await queue.received(cookie: [2])
        #expect(await queue.count == 2)
        let first = await queue.next()
        #expect(first?.localID == "a" && first?.force == true)
        // "a" is in flight and precedes cookie 1: nothing is safe yet.
        #expect(await queue.checkpoint() == nil)
        if let first { await queue.done(first) }
        #expect(await queue.checkpoint() == [1])
        let second = await queue.next()
        if let second { await queue.done(second) }
        #expect(await queue.checkpoint() == [2])
        // Past its capacity the queue drops everything and asks for a reconciliation; no cookie until it ran.
        for id in ["c", "d", "e", "f"] { await queue.push(.init(localID: id, typeName: nil, force: false)) }
        await queue.received(cookie: [3])
        #expect(await queue.overflowed)
        #expect(await queue.checkpoint() == nil)
        await queue.clearOverflow()
        #expect(await queue.checkpoint() == [3])
    }

    @Test func backoffGrowsIsCappedAndHonoursRetryAfter() {
        for attempt in 1...30 {
            let delay = Backoff.delay(attempt: attempt, base: .milliseconds(200), cap: .seconds(10))
            #expect(delay <= .seconds(10) && delay >= .milliseconds(1))
        }
        #expect(Backoff.delay(attempt: 1, base: .milliseconds(200), cap: .seconds(10), retryAfter: .seconds(7)) == .seconds(7))
        #expect(Backoff.parseRetryAfter("120") == .seconds(120))
        #expect(Backoff.parseRetryAfter("soon") == nil)
        let future = Date().addingTimeInterval(60)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let parsed = Backoff.parseRetryAfter(formatter.string(from: future))
        #expect(parsed.map { $0 >= .seconds(55) && $0 <= .seconds(61) } == true)
    }

    @Test func targetSettingsAreCheckedWhenTheConfigIsRead() throws {
        var config = GatewayConfig()
        var target = GatewayConfig.Target(name: "next cloud", url: "https://cloud.example.org/scim/v2")
        config.provisioning = GatewayConfig.Provisioning()
        config.provisioning?.targets = [target]
        #expect(throws: ConfigError.self) { try config.targetSettings() }
        target.name = "nextcloud"
        target.onRemove = "archive"
        config.provisioning?.targets = [target]
        #expect(throws: ConfigError.self) { try config.targetSettings() }
        target.onRemove = "unmanage"
        target.selection = ["User": "(memberOf=cn=cloud,ou=groups,dc=example,dc=org)"]
        target.url = "ftp://cloud"
        config.provisioning?.targets = [target]
        #expect(throws: ConfigError.self) { try config.targetSettings() }
        target.url = "https://cloud.example.org/scim/v2/"
        config.provisioning?.targets = [target]
        let settings = try #require(try config.targetSettings().first)
        #expect(settings.removal == .unmanage && settings.baseURL == "https://cloud.example.org/scim/v2")
        #expect(settings.selection["User"] != nil)
        #expect(settings.excludedAttributes.contains("password"))
        config.provisioning?.targets = [target, target]
        #expect(throws: ConfigError.self) { try config.targetSettings() }
    }
}
