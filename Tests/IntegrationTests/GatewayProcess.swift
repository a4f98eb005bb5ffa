import Foundation
import SlapdHarness

/// The real `scim-gateway serve` binary (from this build) in a process of its own, configured by a YAML file in a
/// temporary directory; its output goes to a log file there. For tests that need signals, exit codes and sockets.
final class GatewayProcess: @unchecked Sendable {  // test-only; used from one test at a time
    static let token = "process-test-token"
    static var binary: URL { GatewayHarness.repository.appendingPathComponent(".build/debug/scim-gateway") }

    let port: Int
    let directory: URL
    let process: Process
    var logFile: URL { directory.appendingPathComponent("gateway.log") }
    var baseURL: String { "http://127.0.0.1:\(port)/scim/v2" }

    /// Starts the gateway against `uris` as the service account of `slapd` and waits until `/readyz` answers.
    /// `extra` is appended to the config's `server:` and `ldap:` sections (indented YAML lines).
    static func start(
        slapd: SlapdInstance, uris: [String]? = nil, server extraServer: [String] = [],
        ldap extraLDAP: [String] = []
    ) async throws -> GatewayProcess {
        try await start(
            uris: uris ?? [slapd.url], suffix: slapd.suffix, servicePassword: slapd.options.servicePassword,
            server: extraServer, ldap: extraLDAP)
    }

    /// The same against any directory with the bundled service account (`cn=scim-gateway,<suffix>`).
    static func start(
        uris: [String], suffix: String, servicePassword: String, server extraServer: [String] = [],
        ldap extraLDAP: [String] = []
    ) async throws -> GatewayProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scim-gw-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let passwordFile = directory.appendingPathComponent("ldap-password")
        try servicePassword.write(to: passwordFile, atomically: true, encoding: .utf8)
        let port = try FreePort.pick()
        let repository = GatewayHarness.repository
        let lines =
            [
                "server:", "  host: 127.0.0.1", "  port: \(port)",
            ] + extraServer.map { "  " + $0 } + [
                "ldap:", "  uris: [\(uris.joined(separator: ", "))]", "  suffix: \(suffix)",
                "  bindDN: cn=scim-gateway,\(suffix)", "  bindPasswordFile: \(passwordFile.path)", "  startTLS: false",
            ] + extraLDAP.map { "  " + $0 } + [
                "mapping: \(repository.appendingPathComponent("Config/mapping/bundled.yaml").path)",
                "schemaDirectory: \(repository.appendingPathComponent("schema").path)",
                "clients:", "  - name: tests", "    tokenHash: \(BearerClientHash.of(token))",
            ]
        let config = directory.appendingPathComponent("gateway.yaml")
        try (lines.joined(separator: "\n") + "\n").write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--config", config.path]
        FileManager.default.createFile(atPath: directory.appendingPathComponent("gateway.log").path, contents: nil)
        let log = try FileHandle(forWritingTo: directory.appendingPathComponent("gateway.log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let gateway = GatewayProcess(port: port, directory: directory, process: process)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw GatewayProcessError("gateway exited at start: \(gateway.log())") }
            if let (status, _) = try? await gateway.curl(["-o", "/dev/null", "http://127.0.0.1:\(port)/readyz"]), status == "200" {
                return gateway
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        gateway.stop()
        throw GatewayProcessError("gateway not ready within 60 s: \(gateway.log())")
    }

    private init(port: Int, directory: URL, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }

    func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// One request with curl: the HTTP status (curl's `%{http_code}`, "000" when none came) and curl's exit code
    /// (0 a complete response; 7 connection refused; 52 empty reply; 56 connection reset).
    func curl(_ arguments: [String], maxTime: Int = 30) async throws -> (status: String, exit: Int32) {
        let (exit, output) = try await CommandRunner.run(
            "/usr/bin/curl",
            [
                "-s", "--max-time", "\(maxTime)", "-w", "%{http_code}", "-H", "Authorization: Bearer \(Self.token)",
                "-H", "Content-Type: application/scim+json",
            ] + arguments)
        return (String(output.suffix(3)), exit)
    }

    /// One SCIM request: status and parsed JSON body (nil when none or not JSON).
    func send(_ method: String, _ path: String, _ body: String? = nil) async throws -> (status: Int, json: [String: Any]?) {
        var arguments = [
            "-s", "--max-time", "30", "-w", "\n%{http_code}", "-X", method,
            "-H", "Authorization: Bearer \(Self.token)", "-H", "Content-Type: application/scim+json",
        ]
        if let body { arguments += ["--data-binary", body] }
        let (_, output) = try await CommandRunner.run("/usr/bin/curl", arguments + [baseURL + path])
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        return (status, json)
    }

    /// Waits for the process to exit, at most `limit`; nil if it is still running.
    func waitForExit(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Stops the gateway (SIGKILL if SIGTERM does not end it within 10 s) and removes its directory.
    func stop() {
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

struct GatewayProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
