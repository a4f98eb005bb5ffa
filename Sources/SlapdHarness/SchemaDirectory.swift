import Foundation

/// Finds the bundled `schema/` directory (holding `ldap/` and `scim/`).
///
/// Order: `$SCIM_GATEWAY_SCHEMA_DIR`, `./schema` and its parents' (so `swift run` works from any folder of a
/// checkout), the executable's `../share/scim-gateway/schema`, then `/usr/share/scim-gateway/schema`.
public enum SchemaDirectory {
    public static func locate(startingAt start: String = FileManager.default.currentDirectoryPath) -> URL? {
        let fm = FileManager.default
        func valid(_ url: URL) -> Bool {
            fm.fileExists(atPath: url.appendingPathComponent("ldap/scim-gateway.schema").path)
        }
        if let env = ProcessInfo.processInfo.environment["SCIM_GATEWAY_SCHEMA_DIR"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            return valid(url) ? url : nil
        }
        var directory = URL(fileURLWithPath: start)
        for _ in 0..<8 {
            let candidate = directory.appendingPathComponent("schema")
            if valid(candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let shared = executable.deletingLastPathComponent().appendingPathComponent("../share/scim-gateway/schema")
        if valid(shared) { return shared.standardizedFileURL }
        let system = URL(fileURLWithPath: "/usr/share/scim-gateway/schema")
        return valid(system) ? system : nil
    }
}
