import Foundation
import SlapdHarness
import Testing

/// `schemaDirectory` left unset (as in Config/scim-gateway.example.yaml): found from the working directory of a
/// checkout, and from the binary's own folder in `<checkout>/.build/<config>/` whatever the working directory.
@Suite("Schema directory found next to the binary")
struct SchemaDirectoryTests {
    /// A fake checkout: `schema/ldap/scim-gateway.schema`, `schema/scim/`, and a binary in
    /// `.build/x86_64-unknown-linux-gnu/debug/` reached through the `.build/debug` symlink SwiftPM makes.
    static func checkout() throws -> (root: URL, binary: URL) {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("schema-dir-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: root.appendingPathComponent("schema/ldap"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("schema/scim"), withIntermediateDirectories: true)
        _ = fm.createFile(atPath: root.appendingPathComponent("schema/ldap/scim-gateway.schema").path, contents: Data())
        let real = root.appendingPathComponent(".build/x86_64-unknown-linux-gnu/debug")
        try fm.createDirectory(at: real, withIntermediateDirectories: true)
        _ = fm.createFile(atPath: real.appendingPathComponent("scim-gateway").path, contents: Data())
        try fm.createSymbolicLink(
            atPath: root.appendingPathComponent(".build/debug").path,
            withDestinationPath: "x86_64-unknown-linux-gnu/debug")
        return (root, root.appendingPathComponent(".build/debug/scim-gateway"))
    }

    @Test func foundFromTheBinaryWhateverTheWorkingDirectory() throws {
        try #require(ProcessInfo.processInfo.environment["SCIM_GATEWAY_SCHEMA_DIR"] == nil)
        let (root, binary) = try Self.checkout()
        defer { try? FileManager.default.removeItem(at: root) }
        let expected = root.appendingPathComponent("schema").resolvingSymlinksInPath().path
        // cwd elsewhere (no schema/ above it), binary in the checkout's build folder.
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("nowhere-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let fromBinary = SchemaDirectory.locate(startingAt: elsewhere.path, executable: binary)
        #expect(fromBinary?.resolvingSymlinksInPath().path == expected)
        // cwd = the checkout's root, binary run as `.build/debug/scim-gateway`.
        let fromRoot = SchemaDirectory.locate(startingAt: root.path, executable: URL(fileURLWithPath: "/nonexistent/scim-gateway"))
        #expect(fromRoot?.resolvingSymlinksInPath().path == expected)
        // Neither: not found (the system folder does not exist on test machines).
        if !FileManager.default.fileExists(atPath: "/usr/share/scim-gateway/schema") {
            #expect(SchemaDirectory.locate(startingAt: elsewhere.path, executable: URL(fileURLWithPath: "/nonexistent/x")) == nil)
        }
    }

    @Test func anInstalledBinaryFindsShare() throws {
        try #require(ProcessInfo.processInfo.environment["SCIM_GATEWAY_SCHEMA_DIR"] == nil)
        let fm = FileManager.default
        let prefix = fm.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: prefix) }
        let schema = prefix.appendingPathComponent("share/scim-gateway/schema")
        try fm.createDirectory(at: schema.appendingPathComponent("ldap"), withIntermediateDirectories: true)
        try fm.createDirectory(at: schema.appendingPathComponent("scim"), withIntermediateDirectories: true)
        _ = fm.createFile(atPath: schema.appendingPathComponent("ldap/scim-gateway.schema").path, contents: Data())
        try fm.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        let found = SchemaDirectory.locate(startingAt: "/", executable: prefix.appendingPathComponent("bin/scim-gateway"))
        #expect(found?.resolvingSymlinksInPath().path == schema.resolvingSymlinksInPath().path)
    }

    @Test func theRunningProcessKnowsItsBinary() {
        let url = SchemaDirectory.executableURL()
        #expect(url != nil)
        #expect(url.map { FileManager.default.fileExists(atPath: $0.path) } == true)
    }
}
