import Foundation
import LDAPClient
import SlapdHarness
import Testing

/// One slapd per test process, shared by the LDAPClient integration tests.
enum TestDirectory {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../schema").standardizedFileURL

    private static let sharedTask = Task<SlapdInstance, any Error> {
        try await SlapdInstance.start(SlapdOptions(uncheckedLimit: 300), schemaDirectory: schema)
    }

    /// The shared instance. Under CI=true a missing slapd fails the test instead of skipping it.
    static func shared() async throws -> SlapdInstance {
        try await sharedTask.value
    }

    static func start(_ options: SlapdOptions = SlapdOptions()) async throws -> SlapdInstance {
        try await SlapdInstance.start(options, schemaDirectory: schema)
    }

    /// A connection bound as the gateway's service account (never the rootDN).
    static func serviceConnection() async throws -> LDAPConnection {
        let slapd = try await shared()
        return try await LDAPConnection.connect(slapd.serviceConfiguration())
    }

    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func person(_ uid: String, in slapd: SlapdInstance, extra: [(String, [String])] = [])
        -> (dn: String, attributes: [(String, [[UInt8]])])
    {
        let dn = "uid=\(DistinguishedName.escape(uid)),\(slapd.peopleDN)"
        var attributes: [(String, [String])] = [
            ("objectClass", ["inetOrgPerson", "scimUser"]), ("uid", [uid]), ("cn", [uid]), ("sn", ["Tester"]),
        ]
        attributes += extra
        return (dn, attributes.map { ($0.0, $0.1.map { Array($0.utf8) }) })
    }
}
