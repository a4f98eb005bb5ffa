import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

/// What DELETE does is the mapping's choice: remove the entry, lock it, or move it out of the resource base.
@Suite("DELETE actions from the mapping")
struct DeleteActionTests {
    static func mapping(_ action: String, in folder: URL) throws -> URL {
        let bundled = try String(contentsOf: GatewayHarness.repository.appendingPathComponent("Config/mapping/bundled.yaml"), encoding: .utf8)
        let text = bundled.replacingOccurrences(of: "    delete: delete\n  Group:", with: "    \(action)\n  Group:")
        #expect(text != bundled)
        let file = folder.appendingPathComponent("mapping.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test(arguments: ["move", "lock"])
    func deleteMovesOrLocks(action: String) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("delete-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let setting = action == "move" ? "delete: move\n    deletedBaseDN: ou=former,${suffix}" : "delete: lock"
        let file = try Self.mapping(setting, in: folder)
        let former = "dn: ou=former,dc=example,dc=org\nobjectClass: organizationalUnit\nou: former\n"
        let harness = try await GatewayHarness.start(options: SlapdOptions(onlineLDIF: former), mapping: file.path)
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let created = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: auth, body: jsonBody(userJSON("leaver")))
            let id = try #require(created.json?["id"]?.stringValue)
            let deleted = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: auth)
            #expect(deleted.status == .noContent)
            let after = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: auth)
            if action == "move" {
                #expect(after.status == .notFound)
                #expect(
                    try await client.execute(uri: filterURI("Users", #"userName eq "leaver""#), method: .get, headers: auth)
                        .json?["totalResults"] == .integer(0))
            } else {
                #expect(after.json?["active"] == .bool(false))
            }
        }
        let ldap = try await harness.ldap()
        let found = try await ldap.search(
            base: harness.slapd.suffix, filter: .equal("uid", "leaver"),
            attributes: ["pwdAccountLockedTime"])
        #expect(found.entries.count == 1)
        if action == "move" {
            #expect(found.entries.first?.dn.lowercased() == "uid=leaver,ou=former,dc=example,dc=org")
        } else {
            #expect(found.entries.first?.string("pwdAccountLockedTime") == "000001010000Z")
        }
    }
}
