import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// RFC 4533 content synchronisation against slapd's syncprov (loaded by the bundled configuration), as the
/// service account on a dedicated connection.
@Suite("Content synchronisation (the change feed)")
struct ContentSyncTests {
    static func people(_ count: Int, prefix: String, in slapd: SlapdInstance) -> String {
        (0..<count).map { index in
            "dn: uid=\(prefix)\(index),\(slapd.peopleDN)\nobjectClass: inetOrgPerson\nuid: \(prefix)\(index)\ncn: \(prefix) \(index)\nsn: S\n"
        }.joined(separator: "\n")
    }

    /// Reads events until `stop` says so (or `limit` passes), returning them.
    static func collect(
        _ iterator: inout AsyncThrowingStream<LDAPSyncEvent, any Error>.AsyncIterator,
        limit: Duration = .seconds(10), until stop: (LDAPSyncEvent) -> Bool
    ) async throws -> [LDAPSyncEvent] {
        var events: [LDAPSyncEvent] = []
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, let event = try await Self.next(&iterator) {
            events.append(event)
            if stop(event) { break }
        }
        return events
    }

    static func next(_ iterator: inout AsyncThrowingStream<LDAPSyncEvent, any Error>.AsyncIterator) async throws -> LDAPSyncEvent? {
        do {
            return try await iterator.next()
        } catch let error as LDAPError {
            Issue.record("the feed failed: \(error.logDescription)")
            throw error
        }
    }

    static func uuid(of dn: String, _ connection: LDAPConnection) async throws -> String {
        try #require(try await connection.search(base: dn, scope: .base, attributes: ["entryUUID"]).entries.first?.string("entryUUID"))
    }

    @Test func refreshOnlyListsEveryEntryAndEndsWithACookie() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        try await slapd.addOnline(Self.people(5, prefix: "r", in: slapd))
        let connection = try await LDAPConnection.connect(slapd.serviceConfiguration(poolSize: 1))
        var iterator = connection.contentSync(
            base: slapd.peopleDN, scope: .oneLevel, filter: .equal("objectClass", "inetOrgPerson"),
            attributes: ["uid", "entryUUID"], mode: .refreshOnly
        ).makeAsyncIterator()
        let events = try await Self.collect(&iterator) { if case .done = $0 { true } else { false } }
        var uids: Set<String> = []
        for event in events {
            if case .entry(let state, let uuid, let entry, _) = event {
                #expect(state == .add)
                #expect(uuid == entry.string("entryUUID"))
                if let uid = entry.string("uid") { uids.insert(uid) }
            }
        }
        #expect(uids == Set((0..<5).map { "r\($0)" }))
        guard case .done(let cookie, _) = try #require(events.last) else {
            Issue.record("the feed did not end with the final result: \(events.last.map { "\($0)" } ?? "nothing")")
            return
        }
        #expect(cookie?.isEmpty == false)
    }

    @Test func persistDeliversAddsModifiesAndDeletesAsTheyHappen() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        try await slapd.addOnline(Self.people(3, prefix: "p", in: slapd))
        let connection = try await LDAPConnection.connect(slapd.serviceConfiguration(poolSize: 1))
        var iterator = connection.contentSync(
            base: slapd.peopleDN, scope: .oneLevel, attributes: ["uid", "title"],
            mode: .refreshAndPersist
        ).makeAsyncIterator()
        let refresh = try await Self.collect(&iterator) { if case .refreshDone = $0 { true } else { false } }
        #expect(refresh.filter { if case .entry = $0 { true } else { false } }.count == 3)
        guard case .refreshDone = try #require(refresh.last) else {
            Issue.record("no end of the refresh phase: \(refresh)")
            return
        }

        let admin = try await LDAPConnection.connect(slapd.adminConfiguration())
        let started = ContinuousClock.now
        _ = try await admin.add(
            dn: "uid=p9,\(slapd.peopleDN)",
            attributes: [
                ("objectClass", [Array("inetOrgPerson".utf8)]), ("uid", [Array("p9".utf8)]), ("cn", [Array("p 9".utf8)]), ("sn", [Array("S".utf8)]),
            ])
        let added = try await Self.collect(&iterator) { if case .entry = $0 { true } else { false } }
        let p9 = try await Self.uuid(of: "uid=p9,\(slapd.peopleDN)", admin)
        guard case .entry(let state, let uuid, let entry, _) = try #require(added.last) else {
            Issue.record("expected an entry event, got \(String(describing: added.last))")
            return
        }
        #expect(state == .add)
        #expect(uuid == p9)
        #expect(entry.string("uid") == "p9")

        _ = try await admin.modify(dn: "uid=p1,\(slapd.peopleDN)", [.replace("title", ["Engineer"])])
        let modified = try await Self.collect(&iterator) { if case .entry = $0 { true } else { false } }
        guard case .entry(let modifiedState, let modifiedUUID, let modifiedEntry, _) = try #require(modified.last) else {
            Issue.record("expected an entry event, got \(String(describing: modified.last))")
            return
        }
        #expect(modifiedState == .modify)
        #expect(modifiedUUID == (try await Self.uuid(of: "uid=p1,\(slapd.peopleDN)", admin)))
        #expect(modifiedEntry.string("title") == "Engineer")

        let p2 = try await Self.uuid(of: "uid=p2,\(slapd.peopleDN)", admin)
        _ = try await admin.delete(dn: "uid=p2,\(slapd.peopleDN)")
        let deleted = try await Self.collect(&iterator) { if case .entry = $0 { true } else { false } }
        guard case .entry(let deletedState, let deletedUUID, _, let cookie) = try #require(deleted.last) else {
            Issue.record("expected an entry event, got \(String(describing: deleted.last))")
            return
        }
        #expect(deletedState == .delete)
        #expect(deletedUUID == p2)
        #expect(cookie?.isEmpty == false)
        print("change feed: add, modify and delete seen \(ContinuousClock.now - started) after the first write")
    }

    @Test func aCookieResumesAfterARestartWithOnlyWhatChanged() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        try await slapd.addOnline(Self.people(20, prefix: "c", in: slapd))
        var cookie: [UInt8]?
        do {
            let connection = try await LDAPConnection.connect(slapd.serviceConfiguration(poolSize: 1))
            var iterator = connection.contentSync(
                base: slapd.peopleDN, scope: .oneLevel, attributes: ["uid"],
                mode: .refreshOnly
            ).makeAsyncIterator()
            let events = try await Self.collect(&iterator) { if case .done = $0 { true } else { false } }
            if case .done(let last, _)? = events.last { cookie = last }
        }
        let saved = try #require(cookie)
        // While nobody listens: one change, then slapd restarts.
        let admin = try await LDAPConnection.connect(slapd.adminConfiguration())
        _ = try await admin.modify(dn: "uid=c7,\(slapd.peopleDN)", [.replace("title", ["Moved"])])
        try await slapd.restart()

        let connection = try await LDAPConnection.connect(slapd.serviceConfiguration(poolSize: 1))
        var iterator = connection.contentSync(
            base: slapd.peopleDN, scope: .oneLevel, attributes: ["uid", "title"],
            mode: .refreshAndPersist, cookie: saved
        ).makeAsyncIterator()
        let resumed = try await Self.collect(&iterator) { if case .refreshDone = $0 { true } else { false } }
        let changed = resumed.compactMap { event -> String? in
            guard case .entry(let state, _, let entry, _) = event, state == .add || state == .modify else { return nil }
            return entry.string("uid")
        }
        // Only the entry that changed is sent again, not all twenty.
        #expect(changed == ["c7"], "\(resumed)")
    }

    /// The resilient feed: slapd restarted mid-stream, the feed resumes from its cookie (no full refresh) and
    /// the next change arrives; a cookie the server cannot use starts a full refresh.
    @Test func theFeedResumesAfterARestartAndRefreshesWhenTheCookieIsRefused() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        try await slapd.addOnline(Self.people(30, prefix: "f", in: slapd))
        var configuration = slapd.serviceConfiguration(poolSize: 1)
        configuration.networkTimeout = .seconds(1)
        let feed = LDAPChangeFeed(
            configuration: configuration, base: slapd.peopleDN, scope: .oneLevel, attributes: ["uid", "title"],
            retryDelay: .milliseconds(100))
        var iterator = feed.makeAsyncIterator()
        var initial: [LDAPChangeFeed.Element] = []
        while let element = try await iterator.next() {
            initial.append(element)
            if case .event(.refreshDone) = element { break }
        }
        #expect(initial.first == .restarted(fullRefresh: true))
        #expect(initial.filter { if case .event(.entry) = $0 { true } else { false } }.count == 30)

        try await slapd.restart()
        let admin = try await LDAPConnection.connect(slapd.adminConfiguration())
        _ = try await admin.modify(dn: "uid=f3,\(slapd.peopleDN)", [.replace("title", ["After restart"])])
        var after: [LDAPChangeFeed.Element] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, let element = try await iterator.next() {
            after.append(element)
            if case .event(.entry(_, _, let entry, _)) = element, entry.string("title") == "After restart" { break }
        }
        #expect(after.first == .restarted(fullRefresh: false), "\(after.prefix(3))")
        let resent = after.filter { if case .event(.entry) = $0 { true } else { false } }
        // Resumed, not refreshed: only the changed entry comes (at most once from the resume, once live).
        #expect((1...2).contains(resent.count), "\(resent.count) entries after the restart")
        if case .event(.entry(_, _, let entry, _))? = resent.last { #expect(entry.string("uid") == "f3") }

        // A cookie the server cannot use: everything comes again, either because the feed starts over from
        // nothing (the server refused the cookie) or because slapd itself sends every entry again (slapd 2.5 does
        // that for a cookie it cannot parse).
        let refused = LDAPChangeFeed(
            configuration: configuration, base: slapd.peopleDN, scope: .oneLevel, attributes: ["uid"],
            cookie: Array("rid=999,csn=garbage".utf8), retryDelay: .milliseconds(100))
        var refusedIterator = refused.makeAsyncIterator()
        var entries = 0
        while let element = try await refusedIterator.next() {
            if case .event(.entry) = element { entries += 1 }
            if case .event(.refreshDone) = element { break }
        }
        #expect(entries == 30)
    }
}
