import Foundation
import SlapdHarness

/// python's scim2-server (PyPI) on a loopback port, as a provisioning target: scripts/test.sh installs it into
/// .venv-provisioning; `SCIM2_SERVER` may name another binary. It keeps everything in memory.
final class SCIMTargetServer: @unchecked Sendable {
    static let token = "target-token"
    let port: Int
    let process: Process
    var url: String { "http://127.0.0.1:\(port)" }

    static var binary: String {
        ProcessInfo.processInfo.environment["SCIM2_SERVER"]
            ?? GatewayHarness.repository.appendingPathComponent(".venv-provisioning/bin/scim2-server").path
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "scim2-server not found at \(SCIMTargetServer.binary): run scripts/test.sh (it installs it into .venv-provisioning)"
        }
    }

    static func start(port: Int? = nil) async throws -> SCIMTargetServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw Missing() }
        let port = try port ?? ProcessRunner.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--hostname", "127.0.0.1", "--port", String(port), "--bearer-token", token]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = SCIMTargetServer(port: port, process: process)
        for _ in 0..<150 {
            if await server.ready() { return server }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        throw Missing()
    }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    func ready() async -> Bool {
        (try? await TargetProbe.get(url + "/ServiceProviderConfig", token: Self.token)) != nil
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
