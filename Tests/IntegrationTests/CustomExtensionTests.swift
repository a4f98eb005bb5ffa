import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
import SlapdHarness
import Testing

/// An organisation's own SCIM extension (Config/mapping/extensions/example-badge.json) added and mapped by the
/// mapping file alone: advertised, written to the mapped LDAP attributes, read back and filtered.
@Suite("Custom extension schemas from the mapping file")
struct CustomExtensionTests {
    static let urn = "urn:example:params:scim:schemas:extension:badge:2.0:User"

    static func mappingFile() throws -> URL {
        let repository = GatewayHarness.repository
        let bundled = try String(contentsOf: repository.appendingPathComponent("Config/mapping/bundled.yaml"), encoding: .utf8)
        let schema = repository.appendingPathComponent("Config/mapping/extensions/example-badge.json").path
        let addition = """
                  - { scim: "\(urn):badgeNumber", ldap: carLicense, kind: string }
                  - { scim: "\(urn):rooms", ldap: roomNumber, kind: strings }
                extensions:
                  - { schema: "\(schema)" }
                delete: delete
              Group:
            """
        let text = bundled.replacingOccurrences(of: "    delete: delete\n  Group:", with: addition)
        #expect(text != bundled)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ext-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("mapping.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func extensionIsAdvertisedStoredReadAndFiltered() async throws {
        let file = try Self.mappingFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let harness = try await GatewayHarness.start(mapping: file.path)
        defer { harness.stop() }
        try await harness.gateway.verifyMapping(wait: .seconds(2))
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let type = try await client.execute(uri: "/scim/v2/ResourceTypes/User", method: .get, headers: auth).json
            #expect(type?["schemaExtensions"]?.arrayValue?.contains { $0["schema"]?.stringValue == Self.urn } == true)
            let schema = try await client.execute(uri: "/scim/v2/Schemas/\(Self.urn)", method: .get, headers: auth)
            #expect(schema.status == .ok)
            #expect(schema.json?["attributes"]?.arrayValue?.count == 2)

            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(
                    """
                    {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","\(Self.urn)"],"userName":"badge.holder",
                     "\(Self.urn)":{"badgeNumber":"B-1234","rooms":["2.14","3.01"]}}
                    """))
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let id = try #require(created.json?["id"]?.stringValue)
            #expect(created.json?["schemas"]?.arrayValue?.contains(.string(Self.urn)) == true)
            #expect(created.json?[Self.urn]?["badgeNumber"]?.stringValue == "B-1234")
            #expect(created.json?[Self.urn]?["rooms"] == .array(["2.14", "3.01"]))

            let entry = try #require(
                try await harness.ldap().search(
                    base: harness.slapd.peopleDN, filter: .equal("uid", "badge.holder"),
                    attributes: ["carLicense", "roomNumber"]
                ).entries.first)
            #expect(entry.string("carLicense") == "B-1234")
            #expect(entry.strings("roomNumber") == ["2.14", "3.01"])

            let found = try await client.execute(uri: filterURI("Users", "\(Self.urn):rooms eq \"3.01\""), method: .get, headers: auth)
            #expect(found.json?["Resources"]?[0]?["id"]?.stringValue == id)
            let patched = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .patch, headers: auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"\#(Self.urn):rooms","value":["4.02"]}]}"#
                ))
            #expect(patched.json?[Self.urn]?["rooms"] == .array(["2.14", "3.01", "4.02"]))
        }
    }
}
