import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
@testable import SCIMLDAP
import SlapdHarness
import Testing

/// The gateway never stores a cleartext password, on a directory that does not hash what a modify writes
/// (ppolicy without `olcPPolicyHashCleartext`): every write path stores a hash the directory verifies, a refused
/// password leaves nothing of the write behind, and start-up refuses when it cannot show a safe way. Stored values
/// are read as the directory's admin (the service account cannot read them).
@Suite("Password storage: never clear text")
struct PasswordStorageTests {
    static func user(_ userName: String, _ extra: String) -> ByteBuffer { jsonBody(userJSON(userName, extra: extra)) }

    static func patch(_ client: some TestClientProtocol, _ id: String, _ operations: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/scim/v2/Users/\(id)", method: .patch, headers: GatewayHarness.auth,
            body: jsonBody(
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operations)]}"#))
    }

    /// The entry's DN and every user attribute (passwords included), as the admin reads them.
    static func snapshot(_ harness: GatewayHarness, _ id: String) async throws -> (dn: String, attributes: [String: Set<[UInt8]>]) {
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        let found = try await admin.search(base: harness.slapd.peopleDN, filter: .equal("entryUUID", id), attributes: ["*"])
        let entry = try #require(found.entries.first)
        var attributes: [String: Set<[UInt8]>] = [:]
        for attribute in entry.attributes { attributes[attribute.description.lowercased(), default: []].formUnion(attribute.values) }
        return (entry.dn.lowercased(), attributes)
    }

    static func expectUnchanged(
        _ harness: GatewayHarness, _ id: String, _ before: (dn: String, attributes: [String: Set<[UInt8]>]),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let after = try await snapshot(harness, id)
        #expect(after.dn == before.dn, sourceLocation: sourceLocation)
        #expect(after.attributes == before.attributes, sourceLocation: sourceLocation)
    }

    /// True when a simple bind as `dn` with `password` succeeds.
    static func binds(_ harness: GatewayHarness, _ dn: String, _ password: String) async throws -> Bool {
        var configuration = harness.slapd.serviceConfiguration(poolSize: 1)
        configuration.bind = .simple(dn: dn, password: LDAPSecret(password))
        do {
            _ = try await LDAPConnection.connect(configuration)
            return true
        } catch {
            if error.code == .invalidCredentials { return false }
            throw error
        }
    }

    /// The stored value is a hash of `password` in `scheme` (never the cleartext), and the directory accepts it.
    static func expectHashed(
        _ harness: GatewayHarness, _ id: String, _ password: String, scheme: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let stored = try await harness.storedPassword(.equal("entryUUID", id)) ?? ""
        #expect(stored.hasPrefix(scheme), "stored \(stored.prefix(9))…", sourceLocation: sourceLocation)
        #expect(!stored.contains(password), sourceLocation: sourceLocation)
        let dn = try await snapshot(harness, id).dn
        #expect(try await binds(harness, dn, password), sourceLocation: sourceLocation)
    }

    /// The bundled directory with ppolicy's hashing turned off: a plain modify now stores a password as sent.
    static func directoryThatDoesNotHash(passwordWrite: String = "auto", defaultPolicy: Bool = true) async throws -> GatewayHarness {
        let harness = try await GatewayHarness.start { $0.ldap.passwordWrite = passwordWrite }
        try await harness.slapd.setPasswordPolicy(hashCleartext: false, defaultPolicy: defaultPolicy)
        // The premise, shown with the service account's own modify.
        let service = try await harness.ldap()
        let dn = "uid=premise,\(harness.slapd.peopleDN)"
        _ = try await service.add(
            dn: dn,
            attributes: [
                ("objectClass", [Array("inetOrgPerson".utf8)]), ("uid", [Array("premise".utf8)]),
                ("cn", [Array("Premise".utf8)]), ("sn", [Array("Premise".utf8)]),
            ])
        _ = try await service.modify(dn: dn, [.replace("userPassword", ["Premise-Pass-1"])])
        #expect(try await harness.storedPassword(.equal("uid", "premise")) == "Premise-Pass-1")
        _ = try await service.delete(dn: dn)
        return harness
    }

    @Test func everyWritePathStoresTheDirectorysHash() async throws {
        let harness = try await Self.directoryThatDoesNotHash()
        defer { harness.stop() }
        // Config unreadable to the service account, Password Modify offered: auto picks it.
        #expect(try await harness.gateway.store.verifyPasswordWrites() == ["User": .exop])
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: Self.user("pw.post", #""password":"Post-Pass-1","title":"T""#))
            #expect(created.status == .created)
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(created.json?["password"] == nil)
            try await Self.expectHashed(harness, id, "Post-Pass-1", scheme: "{ARGON2}")  // the directory's olcPasswordHash
            // The returned version is the entry's final one (the password was set after the add).
            let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(fetched.headers[.eTag] == created.headers[.eTag])

            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: Self.user("pw.put", #""password":"Put-Pass-2","title":"Put""#))
            #expect(put.status == .ok)
            #expect(put.json?["userName"]?.stringValue == "pw.put" && put.json?["title"]?.stringValue == "Put")
            let reread = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(reread.headers[.eTag] == put.headers[.eTag])
            try await Self.expectHashed(harness, id, "Put-Pass-2", scheme: "{ARGON2}")
            // (a failed bind changes the entry: ppolicy records the failure)
            let renamedDN = try await Self.snapshot(harness, id).dn
            let oldStillBinds = try await Self.binds(harness, renamedDN, "Post-Pass-1")
            #expect(!oldStillBinds)

            let patched = try await Self.patch(client, id, #"{"op":"replace","path":"password","value":"Patch-Pass-3"}"#)
            #expect(patched.status == .ok)
            try await Self.expectHashed(harness, id, "Patch-Pass-3", scheme: "{ARGON2}")

            // Clients resend the current password with every PUT: the other changes apply, the hash stays.
            let hash = try await harness.storedPassword(.equal("entryUUID", id))
            let resent = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: Self.user("pw.put", #""password":"Patch-Pass-3","title":"Resent""#))
            #expect(resent.status == .ok, "\(String(buffer: resent.body))")
            #expect(resent.json?["title"]?.stringValue == "Resent")
            #expect(try await harness.storedPassword(.equal("entryUUID", id)) == hash)

            let bulk = try await client.execute(
                uri: "/scim/v2/Bulk", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    """
                    {"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
                    {"method":"POST","path":"/Users","bulkId":"u","data":\(userJSON("pw.bulk", extra: #""password":"Bulk-Pass-4""#))},
                    {"method":"PATCH","path":"/Users/\(id)","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations":[{"op":"replace","value":{"password":"Bulk-Pass-5"}}]}}]}
                    """))
            let results = bulk.json?["Operations"]?.arrayValue ?? []
            #expect(results.map { $0["status"]?.stringValue } == ["201", "200"])
            let bulkID = try #require(results.first?["location"]?.stringValue?.split(separator: "/").last.map(String.init))
            try await Self.expectHashed(harness, bulkID, "Bulk-Pass-4", scheme: "{ARGON2}")
            try await Self.expectHashed(harness, id, "Bulk-Pass-5", scheme: "{ARGON2}")

            // ppolicy unlocks an account whose password is reset: a deactivating write that sets a password stays locked.
            let locked = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: Self.user("pw.put", #""password":"Locked-Pass-6","active":false"#))
            #expect(locked.status == .ok && locked.json?["active"]?.boolValue == false)
            let lockedNew = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: Self.user("pw.inactive", #""password":"Locked-Pass-7","active":false"#))
            #expect(lockedNew.status == .created && lockedNew.json?["active"]?.boolValue == false)
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            for uid in ["pw.put", "pw.inactive"] {
                let entry = try await admin.search(
                    base: harness.slapd.peopleDN, filter: .equal("uid", uid),
                    attributes: ["pwdAccountLockedTime"]
                ).entries.first
                #expect(entry?.strings("pwdAccountLockedTime") == ["000001010000Z"], "\(uid)")
            }
        }
    }

    @Test func aRefusedPasswordLeavesNothingOfTheWrite() async throws {
        let harness = try await Self.directoryThatDoesNotHash()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            // A create whose password is refused leaves no entry behind.
            let short = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: Self.user("pw.refused", #""password":"abc""#))
            #expect(short.status == .badRequest)
            #expect(short.json?["detail"]?.stringValue?.contains("too short") == true)
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            #expect(try await admin.search(base: harness.slapd.peopleDN, filter: .equal("uid", "pw.refused"), attributes: ["1.1"]).entries.isEmpty)

            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: Self.user("pw.atomic", #""password":"First-Pass-1","title":"Kept","displayName":"Before""#))
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(try await Self.patch(client, id, #"{"op":"replace","path":"password","value":"Second-Pass-2"}"#).status == .ok)
            let before = try await Self.snapshot(harness, id)

            // PUT: rename, other changes, a too-short password: all undone.
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: Self.user("pw.renamed", #""password":"abc","displayName":"After""#))
            #expect(put.status == .badRequest)
            #expect(put.json?["detail"]?.stringValue?.contains("too short") == true)
            try await Self.expectUnchanged(harness, id, before)

            // PATCH: other changes and a password from the history.
            let reused = try await Self.patch(
                client, id, #"{"op":"replace","path":"title","value":"Changed"},"# + #"{"op":"replace","path":"password","value":"First-Pass-1"}"#)
            #expect(reused.status == .badRequest)
            #expect(reused.json?["detail"]?.stringValue?.contains("used recently") == true)
            try await Self.expectUnchanged(harness, id, before)
            let stillBinds = try await Self.binds(harness, before.dn, "Second-Pass-2")
            #expect(stillBinds)
            // LDAP diagnostics never reach the client.
            #expect(!String(buffer: reused.body).contains("history"))
        }
    }

    /// A Debian-like directory without ppolicy at all (main's plain profile, standard schemas, `standard.yaml`):
    /// the directory's default scheme ({SSHA}) through Password Modify, and the gateway's own {SSHA} when asked.
    @Test(arguments: ["auto", "hash"])
    func aDirectoryWithoutPPolicyStoresHashes(passwordWrite: String) async throws {
        let harness = try await GatewayHarness.start(options: ExistingDirectoryTests.options(), mapping: "Config/mapping/standard.yaml") {
            $0.ldap.passwordWrite = passwordWrite
        }
        defer { harness.stop() }
        let people = "ou=People,\(harness.slapd.suffix)"
        // The premise: a plain modify stores the value as sent.
        let service = try await harness.ldap()
        let premise = try #require(
            try await service.search(
                base: people, filter: .equal("objectClass", "inetOrgPerson"),
                attributes: ["1.1"], sizeLimit: 1
            ).entries.first?.dn)
        _ = try await service.modify(dn: premise, [.replace("userPassword", ["Premise-Pass-1"])])
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        #expect(
            try await admin.search(base: premise, scope: .base, attributes: ["userPassword"]).entries.first?
                .string("userPassword") == "Premise-Pass-1")
        try await harness.gateway.verifyMapping()
        #expect(try await harness.gateway.store.verifyPasswordWrites() == ["User": passwordWrite == "hash" ? .hash : .exop])

        @Sendable func expectHashed(_ id: String, _ password: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let entry = try #require(
                try await admin.search(base: people, filter: .equal("entryUUID", id), attributes: ["userPassword"])
                    .entries.first, sourceLocation: sourceLocation)
            let stored = entry.string("userPassword") ?? ""
            #expect(stored.hasPrefix("{SSHA}") && !stored.contains(password), "\(stored.prefix(6))…", sourceLocation: sourceLocation)
            let binds = try await Self.binds(harness, entry.dn, password)
            #expect(binds, sourceLocation: sourceLocation)
        }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: Self.user("plain.pw", #""password":"Plain-Pass-1","name":{"familyName":"Pw"}"#))
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let id = try #require(created.json?["id"]?.stringValue)
            try await expectHashed(id, "Plain-Pass-1")
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: Self.user("plain.pw", #""password":"Plain-Pass-2","name":{"familyName":"Pw"}"#))
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            try await expectHashed(id, "Plain-Pass-2")
            #expect(try await Self.patch(client, id, #"{"op":"replace","path":"password","value":"Plain-Pass-3"}"#).status == .ok)
            try await expectHashed(id, "Plain-Pass-3")
            let bulk = try await client.execute(
                uri: "/scim/v2/Bulk", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    """
                    {"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
                    {"method":"POST","path":"/Users","bulkId":"u","data":\(userJSON("plain.bulk", extra: #""password":"Plain-Pass-4""#))},
                    {"method":"PATCH","path":"/Users/\(id)","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations":[{"op":"replace","value":{"password":"Plain-Pass-5"}}]}}]}
                    """))
            let results = bulk.json?["Operations"]?.arrayValue ?? []
            #expect(results.map { $0["status"]?.stringValue } == ["201", "200"], "\(String(buffer: bulk.body))")
            if let bulkID = results.first?["location"]?.stringValue?.split(separator: "/").last.map(String.init) {
                try await expectHashed(bulkID, "Plain-Pass-4")
            }
            try await expectHashed(id, "Plain-Pass-5")
        }
    }

    @Test func gatewayHashesWhenConfiguredTo() async throws {
        // No policy at all: the {SSHA} the gateway writes is stored as it is and verified by binds.
        let harness = try await Self.directoryThatDoesNotHash(passwordWrite: "hash", defaultPolicy: false)
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: Self.user("pw.ssha", #""password":"Ssha-Pass-1""#))
            let id = try #require(created.json?["id"]?.stringValue)
            try await Self.expectHashed(harness, id, "Ssha-Pass-1", scheme: "{SSHA}")
            #expect(SaltedSHA.verify("Ssha-Pass-1", against: try await harness.storedPassword(.equal("entryUUID", id)) ?? ""))
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: Self.user("pw.ssha", #""password":"Ssha-Pass-2""#))
            #expect(put.status == .ok)
            try await Self.expectHashed(harness, id, "Ssha-Pass-2", scheme: "{SSHA}")
            #expect(try await Self.patch(client, id, #"{"op":"replace","path":"password","value":"Ssha-Pass-3"}"#).status == .ok)
            try await Self.expectHashed(harness, id, "Ssha-Pass-3", scheme: "{SSHA}")
        }
    }

    @Test func startUpDecidesFromWhatTheDirectoryShows() async throws {
        // The service account may read cn=config: ppolicy's hashing is proven, the single modify is used.
        let hashing = try await GatewayHarness.start()
        defer { hashing.stop() }
        try await hashing.slapd.grantServiceConfigRead()
        try await hashing.gateway.verifyMapping()
        #expect(try await hashing.gateway.store.verifyPasswordWrites() == ["User": .modify])

        // The config shows no hashing: auto falls back to Password Modify; an explicit `modify` refuses to start.
        let fallback = try await Self.readableConfigWithoutHashing("auto")
        defer { fallback.stop() }
        try await fallback.gateway.verifyMapping()
        #expect(try await fallback.gateway.store.verifyPasswordWrites() == ["User": .exop])

        let explicit = try await Self.readableConfigWithoutHashing("modify")
        defer { explicit.stop() }
        var refusal = ""
        do {
            try await explicit.gateway.verifyMapping(wait: .seconds(2))
        } catch {
            refusal = "\(error)"
        }
        #expect(
            refusal.contains("ldap.passwordWrite") && refusal.contains("olcPPolicyHashCleartext") && refusal.contains("`hash`"),
            "\(refusal)")
    }

    static func readableConfigWithoutHashing(_ setting: String) async throws -> GatewayHarness {
        let harness = try await GatewayHarness.start { $0.ldap.passwordWrite = setting }
        try await harness.slapd.grantServiceConfigRead()
        try await harness.slapd.setPasswordPolicy(hashCleartext: false)
        return harness
    }

    @Test func theSettingIsReadFromTheFileAndTheEnvironment() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pwcfg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("config.yaml")
        try "ldap:\n  passwordWrite: hash\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try GatewayConfig.load(path: file.path, environment: [:]).config.ldap.passwordWrite == "hash")
        let overridden = try GatewayConfig.load(path: file.path, environment: ["SCIM_GATEWAY_LDAP_PASSWORD_WRITE": "exop"])
        #expect(overridden.config.ldap.passwordWrite == "exop")
        #expect(GatewayConfig().ldap.passwordWrite == "auto")
    }
}
