import Foundation
import LDAPClient
import SlapdHarness
import Testing

@Suite("LDAP operations against a real slapd, as the service account")
struct OperationTests {
    @Test func bindsAsServiceAccountNotRoot() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let identity = try await connection.whoAmI()
        #expect(identity.lowercased() == "dn:\(slapd.serviceDN)".lowercased())
    }

    @Test func wrongPasswordIsInvalidCredentials() async throws {
        let slapd = try await TestDirectory.shared()
        var configuration = slapd.serviceConfiguration()
        configuration.bind = .simple(dn: slapd.serviceDN, password: LDAPSecret("wrong-password"))
        await #expect(throws: LDAPError.self) { _ = try await LDAPConnection.connect(configuration) }
        do {
            _ = try await LDAPConnection.connect(configuration)
        } catch {
            #expect(error.code == .invalidCredentials)
        }
    }

    @Test func addSearchModifyCompareRenameDelete() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let uid = TestDirectory.unique("ops")
        let person = TestDirectory.person(uid, in: slapd, extra: [("mail", ["\(uid)@example.org"])])
        _ = try await connection.add(dn: person.dn, attributes: person.attributes)

        let found = try await connection.search(
            base: slapd.peopleDN, scope: .oneLevel, filter: .equal("uid", uid),
            attributes: ["uid", "mail", "entryUUID"])
        #expect(found.entries.count == 1)
        #expect(found.entries.first?.string("mail") == "\(uid)@example.org")
        #expect(found.entries.first?.string("entryUUID")?.count == 36)

        _ = try await connection.modify(
            dn: person.dn,
            [
                .add("mail", ["second-\(uid)@example.org"]), .replace("title", ["Engineer"]),
                .delete("mail", ["\(uid)@example.org"]),
            ])
        #expect(try await connection.compare(dn: person.dn, attribute: "title", value: Array("Engineer".utf8)))
        #expect(try await !connection.compare(dn: person.dn, attribute: "title", value: Array("Manager".utf8)))

        let renamed = "uid=\(uid)-new,\(slapd.peopleDN)"
        _ = try await connection.rename(dn: person.dn, newRDN: "uid=\(uid)-new", deleteOldRDN: true)
        let after = try await connection.search(base: renamed, scope: .base, attributes: ["uid", "mail"])
        #expect(after.entries.first?.strings("uid") == ["\(uid)-new"])
        #expect(after.entries.first?.strings("mail") == ["second-\(uid)@example.org"])

        _ = try await connection.delete(dn: renamed)
        do {
            _ = try await connection.search(base: renamed, scope: .base)
            Issue.record("search of a deleted entry succeeded")
        } catch {
            #expect(error.code == .noSuchObject)
            #expect(error.matchedDN.lowercased() == slapd.peopleDN.lowercased())
        }
    }

    @Test func renameToNewSuperiorKeepsEntryUUID() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let uid = TestDirectory.unique("move")
        let person = TestDirectory.person(uid, in: slapd)
        let written = try await connection.add(dn: person.dn, attributes: person.attributes, controls: [.postRead(["entryUUID"])])
        let uuid = try #require(written.controls.postRead?.string("entryUUID"))
        let ou = "ou=\(uid),\(slapd.suffix)"
        _ = try await connection.add(
            dn: ou,
            attributes: [
                ("objectClass", [Array("organizationalUnit".utf8)]),
                ("ou", [Array(uid.utf8)]),
            ])
        _ = try await connection.rename(dn: person.dn, newRDN: "uid=\(uid)", deleteOldRDN: true, newSuperior: ou)
        let moved = try await connection.search(
            base: ou, scope: .oneLevel, filter: .equal("entryUUID", uuid),
            attributes: ["entryUUID"])
        #expect(moved.entries.first?.dn.lowercased() == "uid=\(uid),\(ou)".lowercased())
        _ = try await connection.delete(dn: "uid=\(uid),\(ou)")
        _ = try await connection.delete(dn: ou)
    }

    @Test func binaryValuesRoundTrip() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let uid = TestDirectory.unique("bin")
        let bytes: [UInt8] = [0, 1, 2, 0xFF, 0xFE, 0, 0x80, 10, 13, 0]
        var person = TestDirectory.person(uid, in: slapd)
        person.attributes.append(("scimX509Certificate", [bytes]))
        _ = try await connection.add(dn: person.dn, attributes: person.attributes)
        let found = try await connection.search(base: person.dn, scope: .base, attributes: ["scimX509Certificate"])
        #expect(found.entries.first?.values("scimX509Certificate") == [bytes])
        let byValue = try await connection.search(
            base: slapd.peopleDN, filter: .equal("scimX509Certificate", bytes),
            attributes: ["1.1"])
        #expect(byValue.entries.map { $0.dn.lowercased() } == [person.dn.lowercased()])
        _ = try await connection.delete(dn: person.dn)
    }

    @Test func sizeLimitReturnsPartialResult() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let result = try await connection.search(
            base: slapd.suffix, filter: .present("objectClass"), attributes: ["1.1"],
            sizeLimit: 2)
        #expect(result.sizeLimitExceeded)
        #expect(result.entries.count == 2)
    }

    @Test func whoAmIAndPasswordModify() async throws {
        let slapd = try await TestDirectory.shared()
        let connection = try await TestDirectory.serviceConnection()
        let uid = TestDirectory.unique("pw")
        let person = TestDirectory.person(uid, in: slapd)
        _ = try await connection.add(dn: person.dn, attributes: person.attributes)
        try await connection.passwordModify(user: person.dn, newPassword: LDAPSecret("Correct-Horse-9"))
        var userConfig = slapd.serviceConfiguration()
        userConfig.bind = .simple(dn: person.dn, password: LDAPSecret("Correct-Horse-9"))
        let asUser = try await LDAPConnection.connect(userConfig)
        #expect(try await asUser.whoAmI().lowercased() == "dn:\(person.dn)".lowercased())
        // the stored value is hashed by the server, never the cleartext; the service account cannot read it
        let stored = try await connection.search(base: person.dn, scope: .base, attributes: ["userPassword"])
        #expect(stored.entries.first?.string("userPassword") == nil)
        let hash = try await LDAPTestSupport.storedPassword(person.dn, in: slapd) ?? ""
        #expect(hash.hasPrefix("{ARGON2}"))
        _ = try await connection.delete(dn: person.dn)
    }
}

struct AbortTransaction: Error {}

/// slapd 2.5.13's transactions are fragile: a commit racing writes on other connections, or a transaction whose
/// queued update fails, can leave the database answering 80 afterwards. The gateway therefore does not rely on them
/// (it undoes a first step explicitly); the client still supports them, tested here on a directory of their own.
@Suite("LDAP transactions (RFC 5805) on their own slapd")
struct TransactionTests {
    @Test func commitAppliesEveryUpdateAndAbortNone() async throws {
        let slapd = try await TestDirectory.start()
        defer { slapd.stop() }
        let connection = try await LDAPConnection.connect(slapd.serviceConfiguration())
        let first = TestDirectory.person(TestDirectory.unique("txn"), in: slapd)
        let second = TestDirectory.person(TestDirectory.unique("txn"), in: slapd)
        _ = try await connection.add(dn: first.dn, attributes: first.attributes)
        _ = try await connection.add(dn: second.dn, attributes: second.attributes)

        await #expect(throws: AbortTransaction.self) {
            try await connection.withTransaction { txn in
                try await txn.modify(dn: first.dn, [.replace("title", ["Aborted"])])
                throw AbortTransaction()
            }
        }
        // slapd 2.5.13 sometimes drops a connection after an abort (about 1 run in 15 under load): the client
        // retires it, and the pool would open a new one. So does this test.
        #expect(connection.isRetired)
        let fresh = try await LDAPConnection.connect(slapd.serviceConfiguration())
        let untouched = try await fresh.search(base: first.dn, scope: .base, attributes: ["title"])
        #expect(untouched.entries.first?.string("title") == nil)

        try await fresh.withTransaction { txn in
            try await txn.modify(dn: first.dn, [.replace("title", ["Committed"])])
            try await txn.modify(dn: second.dn, [.replace("title", ["Committed Too"])])
        }
        #expect(!fresh.isRetired && !fresh.isBroken)  // a committed transaction leaves the connection usable
        let literal = try await fresh.search(
            base: slapd.peopleDN, filter: .equal("title", "Committed*"),
            attributes: ["title"])
        #expect(literal.entries.isEmpty)  // "*" in an equality value is a literal, never a wildcard
        let titles = try await fresh.search(base: slapd.peopleDN, filter: .present("title"), attributes: ["title"])
        #expect(Set(titles.entries.compactMap { $0.string("title") }) == ["Committed", "Committed Too"])
    }
}

@Suite("SASL EXTERNAL over ldapi")
struct SASLExternalTests {
    @Test func bindsWithPeerCredentials() async throws {
        let slapd = try await TestDirectory.shared()
        let configuration = LDAPConfiguration(uris: [slapd.ldapiURL], bind: .saslExternal, poolSize: 1)
        let connection = try await LDAPConnection.connect(configuration)
        let identity = try await connection.whoAmI()
        #expect(identity == "dn:gidNumber=\(getegid())+uidNumber=\(geteuid()),cn=peercred,cn=external,cn=auth")
    }

    @Test func failsOverToTheNextURI() async throws {
        let slapd = try await TestDirectory.shared()
        var configuration = slapd.serviceConfiguration()
        configuration.uris = ["ldap://127.0.0.1:1", slapd.url]
        let connection = try await LDAPConnection.connect(configuration)
        #expect(try await connection.whoAmI().lowercased() == "dn:\(slapd.serviceDN)".lowercased())
    }
}
