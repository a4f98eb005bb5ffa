import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
import SCIMLDAP
import SlapdHarness
import Testing

/// The bundled LDAP schema is versioned: a directory loaded with version 1 (schema/ldap/previous) takes
/// schema/ldap/upgrade-1-to-2.ldif online, keeps its data, and then serves a mapping that needs version 2
/// (`active` stored in scimAccountDisabled, for directories without ppolicy).
@Suite("LDAP schema upgrade 1 → 2")
struct SchemaUpgradeTests {
    static func copySchema(version1 folder: URL) throws {
        let fm = FileManager.default
        try fm.copyItem(at: GatewayHarness.repository.appendingPathComponent("schema"), to: folder)
        let ldap = folder.appendingPathComponent("ldap")
        try fm.removeItem(at: ldap.appendingPathComponent("scim-gateway.ldif"))
        try fm.copyItem(at: ldap.appendingPathComponent("previous/scim-gateway-v1.ldif"), to: ldap.appendingPathComponent("scim-gateway.ldif"))
    }

    /// Bundled mapping with `active` kept in scimAccountDisabled (strategy attribute) on the scimAccount class.
    static func version2Mapping(in folder: URL) throws -> URL {
        let bundled = try String(contentsOf: GatewayHarness.repository.appendingPathComponent("Config/mapping/bundled.yaml"), encoding: .utf8)
        var text = bundled.replacingOccurrences(
            of: "{ scim: active, ldap: pwdAccountLockedTime, kind: active, marker: scimActive }",
            with: #"{ scim: active, ldap: scimAccountDisabled, kind: active, strategy: attribute, inactiveValue: "TRUE", activeValue: "FALSE" }"#)
        text = text.replacingOccurrences(of: "inetOrgPerson, scimUser]", with: "inetOrgPerson, scimUser, scimAccount]")
        #expect(text != bundled)
        let file = folder.appendingPathComponent("mapping-v2.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    static func upgradeScript(_ url: String) async throws -> (status: Int32, output: String) {
        try await CommandRunner.run(
            "/bin/bash",
            [
                GatewayHarness.repository.appendingPathComponent("scripts/upgrade-ldap-schema.sh").path,
                "--ldapi", url,
            ])
    }

    @Test func upgradeAppliesOnlineAndVersion2MappingWorks() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let schema = folder.appendingPathComponent("schema")
        try Self.copySchema(version1: schema)
        let mappingFile = try Self.version2Mapping(in: folder)

        // A version-1 directory with data written through the gateway.
        let harness = try await GatewayHarness.start(schema: schema)
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON("before.upgrade", extra: #""nickName":"Old","emails":[{"value":"old@example.org","type":"work"}]"#)))
            #expect(created.status == .created)
        }
        let beforeID = try #require(
            try await harness.ldap().search(
                base: harness.slapd.peopleDN, filter: .equal("uid", "before.upgrade"),
                attributes: ["entryUUID"]
            ).entries.first?.string("entryUUID"))
        let v2 = try Mapping.load(mappingFile, suffix: harness.slapd.suffix)
        let before = try await DirectorySchemaRules.load(from: harness.gateway.pool)
        #expect(
            MappingSchemaCheck.problems(v2, schema: before).contains(
                "User.attributes[active]: the directory has no attribute type scimAccountDisabled"))

        // The upgrade, as an admin applies it (twice: the second run finds nothing to do).
        let applied = try await Self.upgradeScript(harness.slapd.ldapiURL)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("applied: v1 -> v2"))
        let again = try await Self.upgradeScript(harness.slapd.ldapiURL)
        #expect(again.status == 0 && !again.output.contains("applied"), "\(again.output)")

        var config = harness.gateway.config
        config.mapping = mappingFile.path
        let upgraded = try GatewayApplication.build(config: config, configDirectory: folder, logger: harness.gateway.logger)
        defer { upgraded.pool.shutdown() }
        try await upgraded.verifyMapping(wait: .seconds(2))
        try await Application(router: upgraded.router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.router) { client in
            let auth = GatewayHarness.auth
            // Data from before the upgrade is intact.
            let old = try await client.execute(uri: "/scim/v2/Users/\(beforeID)", method: .get, headers: auth)
            #expect(old.json?["nickName"]?.stringValue == "Old")
            #expect(old.json?["emails"]?[0]?["value"]?.stringValue == "old@example.org")
            // active=false now lands in the version-2 attribute; the entry gains the new class.
            let patched = try await client.execute(
                uri: "/scim/v2/Users/\(beforeID)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#))
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            #expect(patched.json?["active"] == .bool(false))
            #expect(
                try await client.execute(uri: filterURI("Users", "active eq false"), method: .get, headers: auth)
                    .json?["Resources"]?[0]?["id"]?.stringValue == beforeID)
            let reactivated = try await client.execute(
                uri: "/scim/v2/Users/\(beforeID)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}"#))
            #expect(reactivated.json?["active"] == .bool(true))
        }
        let entry = try #require(
            try await harness.ldap().search(
                base: harness.slapd.peopleDN, filter: .equal("uid", "before.upgrade"),
                attributes: ["objectClass", "scimAccountDisabled", "pwdAccountLockedTime"]
            ).entries.first)
        #expect(entry.strings("objectClass").contains { $0.caseInsensitiveEquals("scimAccount") })
        #expect(entry.string("scimAccountDisabled") == "FALSE")
        #expect(entry.string("pwdAccountLockedTime") == nil)
    }
}
