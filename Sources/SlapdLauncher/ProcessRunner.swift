import Foundation

/// Runs short helper programs (slapadd, slappasswd) to completion.
public enum ProcessRunner {
    /// Finds a program in /usr/sbin, /usr/bin, /sbin or $PATH.
    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] + path.split(separator: ":").map(String.init)
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @discardableResult
    static func run(_ program: String, _ arguments: [String], input: Data? = nil) throws -> String {
        guard let executable = locate(program) else {
            throw SlapdError("\(program) not found: install Debian's slapd and ldap-utils (apt-get install -y slapd ldap-utils)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(input)
            try? inputPipe.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw SlapdError("\(program) \(arguments.first ?? "") failed (\(process.terminationStatus)): \(text.suffix(2000))")
        }
        return text
    }

    /// A `{SSHA}` hash of a password, computed by slappasswd with the password passed through a 0600 file
    /// (never on the command line, where `ps` would show it).
    static func hashPassword(_ password: String, in directory: URL) throws -> String {
        let file = directory.appendingPathComponent(".pw-\(UUID().uuidString)")
        _ = FileManager.default.createFile(
            atPath: file.path, contents: Data(password.utf8),
            attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(at: file) }
        return try run("slappasswd", ["-h", "{SSHA}", "-T", file.path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A TCP port on 127.0.0.1 that is free right now.
    /// A port that can be bound now, picked at random below Linux's ephemeral range (32768-60999) so that
    /// outgoing connections, which take ephemeral ports, do not grab it before slapd binds it.
    public static func freePort() throws -> Int {
        for _ in 0..<64 {
            let candidate = Int.random(in: 20000..<32000)
            if (try? bindable(candidate)) == true { return candidate }
        }
        throw SlapdError("no free port found in 20000-31999")
    }

    private static func bindable(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SlapdError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }
}
