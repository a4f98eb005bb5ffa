import Foundation

/// Finds the bundled `schema/` directory (holding `ldap/` and `scim/`).
///
/// Order: `$SCIM_GATEWAY_SCHEMA_DIR`; `./schema` and its parents' (so `swift run` works from any folder of a
/// checkout); the executable's own folder and its parents' (a binary in `<checkout>/.build/<config>/` finds
/// `<checkout>/schema` whatever the working directory); the executable's `../share/scim-gateway/schema`; then
/// `/usr/share/scim-gateway/schema`.
public enum SchemaDirectory {
    public static func locate(
        startingAt start: String = FileManager.default.currentDirectoryPath,
        executable: URL? = SchemaDirectory.executableURL()
    ) -> URL? {
        if let env = ProcessInfo.processInfo.environment["SCIM_GATEWAY_SCHEMA_DIR"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            return isSchemaDirectory(url) ? url : nil
        }
        if let found = upwards(from: URL(fileURLWithPath: start)) { return found }
        if let executable {
            let folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            if let found = upwards(from: folder) { return found }
            let shared = folder.appendingPathComponent("../share/scim-gateway/schema").standardizedFileURL
            if isSchemaDirectory(shared) { return shared }
        }
        let system = URL(fileURLWithPath: "/usr/share/scim-gateway/schema")
        return isSchemaDirectory(system) ? system : nil
    }

    /// True for a folder holding the bundled schema files.
    public static func isSchemaDirectory(_ url: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: url.appendingPathComponent("ldap/scim-gateway.schema").path)
            && fm.fileExists(atPath: url.appendingPathComponent("scim").path)
    }

    /// `<folder>/schema`, `<folder>/../schema`, … up to eight levels.
    static func upwards(from folder: URL) -> URL? {
        var directory = folder.standardizedFileURL
        for _ in 0..<8 {
            let candidate = directory.appendingPathComponent("schema")
            if isSchemaDirectory(candidate) { return candidate.standardizedFileURL }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return nil
    }

    /// The running binary (Linux: /proc/self/exe, so a binary started through $PATH or a relative path is found
    /// by its real location).
    public static func executableURL() -> URL? {
        #if os(Linux)
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                return URL(fileURLWithPath: path)
            }
        #endif
        if let url = Bundle.main.executableURL { return url }
        guard let first = CommandLine.arguments.first, !first.isEmpty else { return nil }
        return URL(fileURLWithPath: first)
    }
}
