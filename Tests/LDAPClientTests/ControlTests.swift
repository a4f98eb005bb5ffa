import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// 40 users under a dedicated `ou` of the shared slapd, added once per test process as the service account.
/// Their uids alternate in case (`m00`, `M01`, …) and are added in shuffled order, so only a case-ignoring
/// server-side sort gives the numeric order.
enum ControlDataset {
    static let count = 40

    struct Dataset: Sendable {
        let ou: String
        /// uids in caseIgnoreOrderingMatch order.
        let sortedUIDs: [String]
    }

    private static let task = Task<Dataset, any Error> {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let ou = try await LDAPTestSupport.addOU(TestDirectory.unique("controls"), in: slapd, connection: connection)
        let uids = (0..<count).map { index in (index % 2 == 0 ? "m" : "M") + String(format: "%02d", index) }
        for uid in uids.shuffled() {
            _ = try await connection.add(
                dn: "uid=\(uid),\(ou)",
                attributes: [
                    ("objectClass", [Array("inetOrgPerson".utf8)]), ("uid", [Array(uid.utf8)]), ("cn", [Array(uid.utf8)]),
                    ("sn", [Array("Tester".utf8)]),
                ])
        }
        return Dataset(ou: ou, sortedUIDs: uids)
    }

    static func shared() async throws -> Dataset { try await task.value }

    static let filter = LDAPFilter.equal("objectClass", "inetOrgPerson")
    static let uidSort = LDAPSortKey("uid", orderingRule: "caseIgnoreOrderingMatch")
}

@Suite("Paged results, sort and VLV against slapd, as the service account")
struct PagingSortVLVTests {
    @Test func pagedResultsWalkEveryPage() async throws {
        let data = try await ControlDataset.shared()
        let connection = try await TestDirectory.serviceConnection()
        var cookie: [UInt8] = []
        var pageSizes: [Int] = []
        var seen: [String] = []
        repeat {
            let page = try await connection.search(
                base: data.ou, scope: .oneLevel, filter: ControlDataset.filter,
                attributes: ["uid"], controls: [.pagedResults(size: 7, cookie: cookie)])
            pageSizes.append(page.entries.count)
            seen += page.entries.compactMap { $0.string("uid") }
            cookie = try #require(page.controls.pagedResultsCookie, "every page carries the paged results response")
            if pageSizes.count > 20 { break }
        } while !cookie.isEmpty
        #expect(pageSizes == [7, 7, 7, 7, 7, 5])
        #expect(cookie.isEmpty)
        #expect(seen.count == ControlDataset.count)
        #expect(Set(seen) == Set(data.sortedUIDs))
    }

    @Test func serverSideSortAscendingAndReverse() async throws {
        let data = try await ControlDataset.shared()
        let ascending = try await TestDirectory.serviceConnection()
        let up = try await ascending.search(
            base: data.ou, scope: .oneLevel, filter: ControlDataset.filter,
            attributes: ["uid"], controls: [.serverSideSort([ControlDataset.uidSort])])
        #expect(up.entries.compactMap { $0.string("uid") } == data.sortedUIDs)
        #expect(up.controls.sortResult == .success)

        let descending = try await TestDirectory.serviceConnection()
        let down = try await descending.search(
            base: data.ou, scope: .oneLevel, filter: ControlDataset.filter, attributes: ["uid"],
            controls: [.serverSideSort([LDAPSortKey("uid", orderingRule: "caseIgnoreOrderingMatch", reverse: true)])])
        #expect(down.entries.compactMap { $0.string("uid") } == data.sortedUIDs.reversed())
        #expect(down.controls.sortResult == .success)
    }

    /// uid has no ORDERING rule: the critical sort control makes the whole search fail with 18.
    @Test func sortWithoutOrderingRuleFails() async throws {
        let data = try await ControlDataset.shared()
        let connection = try await TestDirectory.serviceConnection()
        let error = await LDAPTestSupport.expectLDAPError(.inappropriateMatching) {
            try await connection.search(
                base: data.ou, scope: .oneLevel, filter: ControlDataset.filter,
                attributes: ["uid"], controls: [.serverSideSort([LDAPSortKey("uid")])])
        }
        print("sort without ordering rule: \(error?.logDescription ?? "-")")
    }

    @Test func virtualListViewWindow() async throws {
        let data = try await ControlDataset.shared()
        let connection = try await TestDirectory.serviceConnection()
        let window = try await connection.search(
            base: data.ou, scope: .oneLevel, filter: ControlDataset.filter, attributes: ["uid"],
            controls: [
                .serverSideSort([ControlDataset.uidSort]),
                .virtualListView(before: 0, after: 4, offset: 11, contentCount: 0),
            ])
        #expect(window.entries.compactMap { $0.string("uid") } == Array(data.sortedUIDs[10..<15]))
        #expect(window.controls.vlvContentCount == ControlDataset.count)
        #expect(window.controls.vlvTargetPosition == 11)
        #expect(window.controls.vlvResult == .success)
        #expect(window.controls.sortResult == .success)
    }

    @Test func virtualListViewLastPartialWindow() async throws {
        let data = try await ControlDataset.shared()
        let connection = try await TestDirectory.serviceConnection()
        let window = try await connection.search(
            base: data.ou, scope: .oneLevel, filter: ControlDataset.filter, attributes: ["uid"],
            controls: [
                .serverSideSort([ControlDataset.uidSort]),
                .virtualListView(before: 0, after: 9, offset: 36, contentCount: 0),
            ])
        #expect(window.entries.compactMap { $0.string("uid") } == Array(data.sortedUIDs[35..<40]))
        #expect(window.controls.vlvContentCount == ControlDataset.count)
    }

    /// slapd answers an offset past the end with 76 (vlvError).
    @Test func virtualListViewOffsetPastTheEnd() async throws {
        let data = try await ControlDataset.shared()
        let connection = try await TestDirectory.serviceConnection()
        let error = await LDAPTestSupport.expectLDAPError(.vlvError) {
            try await connection.search(
                base: data.ou, scope: .oneLevel, filter: ControlDataset.filter, attributes: ["uid"],
                controls: [
                    .serverSideSort([ControlDataset.uidSort]),
                    .virtualListView(before: 0, after: 4, offset: ControlDataset.count + 5, contentCount: 0),
                ])
        }
        // the VLV response control carries sssvlv's own range error, 0x4D (77), not the result code
        #expect(error?.controls.vlvResult?.rawValue == 77)
        #expect(error?.controls.vlvContentCount == ControlDataset.count)
    }
}

@Suite("Assertion, Pre-/Post-Read, proxied authorization, ppolicy and compare, as the service account")
struct WriteControlTests {
    private func newUser(_ prefix: String, extra: [(String, [String])] = []) async throws
        -> (slapd: SlapdInstance, connection: LDAPConnection, dn: String)
    {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let person = TestDirectory.person(TestDirectory.unique(prefix), in: slapd, extra: extra)
        _ = try await connection.add(dn: person.dn, attributes: person.attributes)
        return (slapd, connection, person.dn)
    }

    private func read(_ connection: LDAPConnection, _ dn: String, _ attributes: [String]) async throws -> LDAPEntry {
        let result = try await connection.search(base: dn, scope: .base, attributes: attributes)
        return try #require(result.entries.first)
    }

    @Test func assertionOnEntryCSN() async throws {
        let (_, connection, dn) = try await newUser("assert", extra: [("title", ["First"])])
        let before = try #require(try await read(connection, dn, ["entryCSN"]).string("entryCSN"))
        _ = try await connection.modify(
            dn: dn, [.replace("title", ["Second"])],
            controls: [.assertion(.equal("entryCSN", before))])
        let after = try await read(connection, dn, ["title", "entryCSN"])
        #expect(after.string("title") == "Second")
        let current = try #require(after.string("entryCSN"))
        #expect(current != before)

        // the old version is stale now
        let error = await LDAPTestSupport.expectLDAPError(.assertionFailed) {
            try await connection.modify(
                dn: dn, [.replace("title", ["Third"])],
                controls: [.assertion(.equal("entryCSN", before))])
        }
        #expect(error?.code.rawValue == 122)
        let unchanged = try await read(connection, dn, ["title", "entryCSN"])
        #expect(unchanged.string("title") == "Second")
        #expect(unchanged.string("entryCSN") == current)
        // an assertion also guards delete
        await LDAPTestSupport.expectLDAPError(.assertionFailed) {
            try await connection.delete(dn: dn, controls: [.assertion(.equal("entryCSN", before))])
        }
        _ = try await connection.delete(dn: dn, controls: [.assertion(.equal("entryCSN", current))])
    }

    @Test func preAndPostReadOnModify() async throws {
        let (_, connection, dn) = try await newUser("read", extra: [("title", ["Old Title"])])
        let original = try await read(connection, dn, ["entryCSN", "entryUUID"])
        let written = try await connection.modify(
            dn: dn, [.replace("title", ["New Title"])],
            controls: [.preRead(["title", "entryCSN"]), .postRead(["title", "entryCSN", "entryUUID"])])
        let pre = try #require(written.controls.preRead)
        let post = try #require(written.controls.postRead)
        #expect(pre.dn.lowercased() == dn.lowercased())
        #expect(post.dn.lowercased() == dn.lowercased())
        #expect(pre.strings("title") == ["Old Title"])
        #expect(post.strings("title") == ["New Title"])
        #expect(pre.string("entryCSN") == original.string("entryCSN"))
        let newCSN = try #require(post.string("entryCSN"))
        #expect(newCSN != pre.string("entryCSN"))
        #expect(post.string("entryUUID") == original.string("entryUUID"))
        // what Post-Read reported is what the entry now holds
        #expect(try await read(connection, dn, ["entryCSN"]).string("entryCSN") == newCSN)
        _ = try await connection.delete(dn: dn)
    }

    @Test func postReadOnAdd() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let person = TestDirectory.person(TestDirectory.unique("postadd"), in: slapd)
        let written = try await connection.add(
            dn: person.dn, attributes: person.attributes,
            controls: [.postRead(["entryUUID", "entryCSN", "uid"])])
        let post = try #require(written.controls.postRead)
        let uuid = try #require(post.string("entryUUID"))
        #expect(uuid.count == 36)
        #expect(UUID(uuidString: uuid) != nil)
        #expect(post.string("entryCSN") != nil)
        #expect(post.values("uid") == person.attributes.first { $0.0 == "uid" }?.1)
        let stored = try await read(connection, person.dn, ["entryUUID", "entryCSN"])
        #expect(stored.string("entryUUID") == uuid)
        #expect(stored.string("entryCSN") == post.string("entryCSN"))
        // pre-read on delete returns the entry as it was
        let deleted = try await connection.delete(dn: person.dn, controls: [.preRead(["entryUUID"])])
        #expect(deleted.controls.preRead?.string("entryUUID") == uuid)
    }

    /// `LDAPPool.acting(as:)`: every operation on a lent connection runs as the view's identity, the identity
    /// leaves with the lease (the next caller of the same single connection is the service account again), and
    /// an operation that carries its own Proxied Authorization keeps it.
    @Test func aPoolActingAsAUserProxiesItsLeasesOnly() async throws {
        let (slapd, connection, dn) = try await newUser("poolproxy")
        let pool = LDAPPool(configuration: slapd.serviceConfiguration(poolSize: 1))
        defer { pool.shutdown() }
        let user = pool.acting(as: "dn:\(dn)")
        #expect(user.authorizationID == "dn:\(dn)")
        #expect(try await user.withConnection { try await $0.whoAmI() }.lowercased() == "dn:\(dn)".lowercased())
        // the user's rights apply: it may not change its own title
        await LDAPTestSupport.expectLDAPError(.insufficientAccessRights) {
            try await user.withConnection { try await $0.modify(dn: dn, [.replace("title", ["Proxied"])]) }
        }
        // the same (only) connection, lent again by the plain pool and by the view's bound identity
        #expect(try await pool.withConnection { try await $0.whoAmI() }.lowercased() == "dn:\(slapd.serviceDN)".lowercased())
        _ = try await user.asBoundIdentity.withConnection { try await $0.modify(dn: dn, [.replace("title", ["Service"])]) }
        #expect(try await read(connection, dn, ["title"]).string("title") == "Service")
        // a control given by the caller wins over the view's identity
        let outside: [LDAPRequestControl] = [.proxiedAuthorization(authzID: "dn:cn=nobody,\(slapd.suffix)")]
        await LDAPTestSupport.expectLDAPError(.proxiedAuthorizationDenied) {
            try await user.withConnection { try await $0.whoAmI(controls: outside) }
        }
        #expect(try await pool.withConnection { $0.authorizationID } == nil)
        _ = try await connection.delete(dn: dn)
    }

    @Test func proxiedAuthorization() async throws {
        let (slapd, connection, dn) = try await newUser("proxy")
        let asUser: [LDAPRequestControl] = [.proxiedAuthorization(authzID: "dn:\(dn)")]
        #expect(try await connection.whoAmI(controls: asUser).lowercased() == "dn:\(dn)".lowercased())
        // without the control the connection is still the service account
        #expect(try await connection.whoAmI().lowercased() == "dn:\(slapd.serviceDN)".lowercased())

        // the user may write its own password ("by self write"), so the proxied modify succeeds
        _ = try await connection.modify(dn: dn, [.replace("userPassword", ["Proxied-Passw0rd-1"])], controls: asUser)
        var userConfig = slapd.serviceConfiguration()
        userConfig.bind = .simple(dn: dn, password: LDAPSecret("Proxied-Passw0rd-1"))
        let bound = try await LDAPConnection.connect(userConfig)
        #expect(try await bound.whoAmI().lowercased() == "dn:\(dn)".lowercased())

        // the proxied identity's rights apply, not the service account's: users only read their other attributes
        await LDAPTestSupport.expectLDAPError(.insufficientAccessRights) {
            try await connection.modify(dn: dn, [.replace("title", ["Proxied"])], controls: asUser)
        }
        #expect(try await read(connection, dn, ["title"]).string("title") == nil)

        // authzTo covers ou=people only
        let outside: [LDAPRequestControl] = [.proxiedAuthorization(authzID: "dn:cn=nobody,\(slapd.suffix)")]
        let denied = await LDAPTestSupport.expectLDAPError(.proxiedAuthorizationDenied) {
            try await connection.whoAmI(controls: outside)
        }
        #expect(denied?.code.rawValue == 123)
        await LDAPTestSupport.expectLDAPError(.proxiedAuthorizationDenied) {
            try await connection.modify(
                dn: dn, [.replace("title", ["Denied"])],
                controls: [.proxiedAuthorization(authzID: "dn:\(slapd.adminDN)")])
        }
        #expect(try await read(connection, dn, ["title"]).string("title") == nil)
        _ = try await connection.delete(dn: dn)
    }

    @Test func passwordPolicy() async throws {
        let (slapd, connection, dn) = try await newUser("ppolicy")
        let tooShort = await LDAPTestSupport.expectLDAPError(.constraintViolation) {
            try await connection.modify(dn: dn, [.replace("userPassword", ["Sh0rt!"])], controls: [.passwordPolicy])
        }
        #expect(tooShort?.controls.passwordPolicy?.failure == .passwordTooShort)
        #expect(try await LDAPTestSupport.storedPassword(dn, in: slapd) == nil)

        // without the request control the violation is the same, but no response control comes back
        let silent = await LDAPTestSupport.expectLDAPError(.constraintViolation) {
            try await connection.modify(dn: dn, [.replace("userPassword", ["Sh0rt!"])])
        }
        #expect(silent?.controls.passwordPolicy == nil)

        let first = "First-Passw0rd-1"
        let second = "Second-Passw0rd-2"
        let valid = try await connection.modify(dn: dn, [.replace("userPassword", [first])], controls: [.passwordPolicy])
        #expect(valid.controls.passwordPolicy?.failure == nil)
        #expect(try await read(connection, dn, ["userPassword"]).values("userPassword").isEmpty)  // write-only for us
        let stored = try await LDAPTestSupport.storedPassword(dn, in: slapd) ?? ""
        #expect(stored.hasPrefix("{ARGON2}"))
        #expect(!stored.contains(first))

        _ = try await connection.modify(dn: dn, [.replace("userPassword", [second])], controls: [.passwordPolicy])
        let reused = await LDAPTestSupport.expectLDAPError(.constraintViolation) {
            try await connection.modify(dn: dn, [.replace("userPassword", [first])], controls: [.passwordPolicy])
        }
        #expect(reused?.controls.passwordPolicy?.failure == .passwordInHistory)
        // the policy applies through proxied authorization as the user too
        let proxied = await LDAPTestSupport.expectLDAPError(.constraintViolation) {
            try await connection.modify(
                dn: dn, [.replace("userPassword", ["Sh0rt!"])],
                controls: [.proxiedAuthorization(authzID: "dn:\(dn)"), .passwordPolicy])
        }
        #expect(proxied?.controls.passwordPolicy?.failure == .passwordTooShort)
        // the second password is still the valid one
        var userConfig = try await TestDirectory.shared().serviceConfiguration()
        userConfig.bind = .simple(dn: dn, password: LDAPSecret(second))
        _ = try await LDAPConnection.connect(userConfig)
        _ = try await connection.delete(dn: dn)
    }

    @Test func compareOnMissingAttribute() async throws {
        let (_, connection, dn) = try await newUser("compare")
        let error = await LDAPTestSupport.expectLDAPError(.noSuchAttribute) {
            try await connection.compare(dn: dn, attribute: "title", value: Array("Anything".utf8))
        }
        #expect(error?.code.rawValue == 16)
        #expect(try await connection.compare(dn: dn, attribute: "sn", value: Array("tester".utf8)))  // caseIgnoreMatch
        #expect(try await !connection.compare(dn: dn, attribute: "sn", value: Array("Other".utf8)))
        _ = try await connection.delete(dn: dn)
    }
}
