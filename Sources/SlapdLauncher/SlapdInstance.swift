import Foundation
import LDAPClient
import Logging

/// A throwaway slapd from Debian's package: bundled schema, overlays, service account, on 127.0.0.1.
///
/// `start` renders `schema/ldap` into a fresh config, loads the suffix and the gateway's entries with slapadd,
/// starts `slapd -d 0` (foreground, so the PID is slapd's own) and waits until it answers LDAP. `stop` sends
/// SIGTERM and waits for the exit; a temporary data directory is removed.
public final class SlapdInstance: @unchecked Sendable {
    // @unchecked: `process` is replaced only by start/stop/restart, which callers do not run concurrently.
    public let options: SlapdOptions
    public private(set) var port: Int
    public let directory: URL
    public let schemaDirectory: URL
    private let ownsDirectory: Bool
    private var process: SpawnedProcess?
    private let logger: Logger

    public var suffix: String { options.suffix }
    public var url: String { "ldap://127.0.0.1:\(port)" }
    public var ldapiURL: String {
        "ldapi://" + socketPath.replacingOccurrences(of: "/", with: "%2F")
    }
    public var adminDN: String { "cn=admin,\(options.suffix)" }
    public var serviceDN: String { "cn=scim-gateway,\(options.suffix)" }
    public var peopleDN: String { "ou=people,\(options.suffix)" }
    public var groupsDN: String { "ou=groups,\(options.suffix)" }
    public var pid: Int32? { process?.pid }
    /// `ldaps://127.0.0.1:<tlsPort>` when started with `tls: true`.
    public private(set) var tlsPort: Int?
    public var ldapsURL: String? { tlsPort.map { "ldaps://127.0.0.1:\($0)" } }
    /// The self-signed certificate of a TLS instance, to use as the client's CA file.
    public var caFile: String { directory.appendingPathComponent("tls/cert.pem").path }
    var socketPath: String { directory.appendingPathComponent("ldapi").path }

    /// Configuration for binding as the gateway's service account (what the gateway and tests use).
    public func serviceConfiguration(poolSize: Int = 4) -> LDAPConfiguration {
        LDAPConfiguration(
            uris: [url], bind: .simple(dn: serviceDN, password: LDAPSecret(options.servicePassword)),
            networkTimeout: .seconds(2), operationTimeout: .seconds(20), poolSize: poolSize,
            reconnectBackoff: .milliseconds(200))
    }

    /// Configuration for binding as the rootDN: setup only.
    public func adminConfiguration() -> LDAPConfiguration {
        LDAPConfiguration(
            uris: [url], bind: .simple(dn: adminDN, password: LDAPSecret(options.adminPassword)),
            poolSize: 1)
    }

    public static func start(
        _ options: SlapdOptions = SlapdOptions(), schemaDirectory: URL? = nil,
        logger: Logger = Logger(label: "slapd")
    ) async throws -> SlapdInstance {
        guard ProcessRunner.locate("slapd") != nil, ProcessRunner.locate("slapadd") != nil else {
            throw SlapdError("slapd is not installed: run `apt-get install -y slapd ldap-utils` (Debian 12)")
        }
        guard let schema = schemaDirectory ?? SchemaDirectory.locate() else {
            throw SlapdError("bundled schema/ directory not found (set SCIM_GATEWAY_SCHEMA_DIR)")
        }
        let instance = try SlapdInstance(options: options, schemaDirectory: schema, logger: logger)
        // Test suites start many instances at once on a 2-core machine: a few at a time start fastest.
        await StartGate.shared.enter()
        do {
            try instance.prepare()
            // A port picked free can be taken before slapd binds it (other tests, outgoing connections): with an
            // automatic port, a failed start is retried on fresh ports.
            var attempt = 1
            while true {
                do {
                    try await instance.launch()
                    break
                } catch let error as SlapdError where options.port == 0 && attempt < 4 {
                    instance.logger.debug("slapd start failed, retrying on another port", metadata: ["error": "\(error)"])
                    instance.terminate()
                    try instance.pickPorts()
                    attempt += 1
                }
            }
            await StartGate.shared.leave()
            if !options.onlineLDIF.isEmpty { try await instance.addOnline(options.onlineLDIF) }
        } catch {
            await StartGate.shared.leave()
            instance.stop()
            throw error
        }
        return instance
    }

    private init(options: SlapdOptions, schemaDirectory: URL, logger: Logger) throws {
        self.options = options
        self.schemaDirectory = schemaDirectory.standardizedFileURL
        self.logger = logger
        self.port = options.port == 0 ? try ProcessRunner.freePort() : options.port
        self.tlsPort = options.tls ? try ProcessRunner.freePort() : nil
        if let given = options.dataDirectory {
            directory = given
            ownsDirectory = false
        } else {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("scim-slapd-\(UUID().uuidString.prefix(8))")
            ownsDirectory = true
        }
    }

    deinit {
        process?.signal(SIGTERM)
    }

    private var configDirectory: URL { directory.appendingPathComponent("slapd.d") }
    private var configFile: URL { directory.appendingPathComponent("slapd.conf") }
    private var dataDirectory: URL { directory.appendingPathComponent("data") }

    /// Renders the config and loads the initial entries, unless the directory already holds an instance.
    private func prepare() throws {
        let fm = FileManager.default
        let marker = directory.appendingPathComponent(".initialized")
        if fm.fileExists(atPath: marker.path) { return }
        try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try fm.createDirectory(at: configDirectory, withIntermediateDirectories: true)
        let renderer = SlapdConfigRenderer(
            schemaDirectory: schemaDirectory, suffix: options.suffix,
            rootPasswordHash: try ProcessRunner.hashPassword(options.adminPassword, in: directory),
            servicePasswordHash: try ProcessRunner.hashPassword(options.servicePassword, in: directory),
            dataDirectory: dataDirectory.path, uncheckedLimit: options.uncheckedLimit, noSync: options.noSync)
        let tls = options.tls ? try makeCertificate() : nil
        if let plain = options.plain {
            try preparePlain(plain, renderer: renderer)
            _ = fm.createFile(atPath: marker.path, contents: Data())
            return
        }
        switch options.configStyle {
        case .cnConfig:
            let config = directory.appendingPathComponent("cn-config.ldif")
            var text = try renderer.render("cn-config.ldif.in")
            if let tls {
                text = text.replacingOccurrences(
                    of: "dn: cn=config\nobjectClass: olcGlobal\n",
                    with: """
                        dn: cn=config
                        objectClass: olcGlobal
                        olcTLSCertificateFile: \(tls.cert)
                        olcTLSCertificateKeyFile: \(tls.key)
                        olcTLSCACertificateFile: \(tls.cert)
                        olcTLSVerifyClient: try

                        """)
            }
            try text.write(to: config, atomically: true, encoding: .utf8)
            try ProcessRunner.run("slapadd", ["-q", "-n0", "-F", configDirectory.path, "-l", config.path])
        case .slapdConf:
            var text = try renderer.render("slapd.conf.in")
            if let tls {
                text =
                    "TLSCertificateFile \(tls.cert)\nTLSCertificateKeyFile \(tls.key)\nTLSCACertificateFile \(tls.cert)\n"
                    + "TLSVerifyClient try\n" + text
            }
            try text.write(to: configFile, atomically: true, encoding: .utf8)
        }
        let entries =
            try renderer.render("suffix.ldif.in") + "\n" + renderer.render("directory.ldif.in") + "\n"
            + options.offlineLDIF
        let ldif = directory.appendingPathComponent("initial.ldif")
        try entries.write(to: ldif, atomically: true, encoding: .utf8)
        try appendWrittenLDIF(to: ldif)
        try ProcessRunner.run("slapadd", configArguments + ["-q", "-b", options.suffix, "-l", ldif.path])
        try? fm.removeItem(at: ldif)
        _ = fm.createFile(atPath: marker.path, contents: Data())
    }

    /// Appends what `offlineLDIFWriter` writes (if set) to the LDIF file for slapadd.
    private func appendWrittenLDIF(to ldif: URL) throws {
        guard let writer = options.offlineLDIFWriter else { return }
        let handle = try FileHandle(forWritingTo: ldif)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n".utf8))
        try writer(handle)
    }

    /// A directory the gateway did not set up (`SlapdOptions.plain`).
    private func preparePlain(_ plain: PlainDirectory, renderer: SlapdConfigRenderer) throws {
        let config = directory.appendingPathComponent("cn-config.ldif")
        let peercred = "gidNumber=\(getegid())+uidNumber=\(geteuid()),cn=peercred,cn=external,cn=auth"
        try plain.configLDIF(
            suffix: options.suffix, rootPasswordHash: renderer.rootPasswordHash,
            dataDirectory: dataDirectory.path, noSync: options.noSync, peercredDN: peercred
        )
        .write(to: config, atomically: true, encoding: .utf8)
        try ProcessRunner.run("slapadd", ["-q", "-n0", "-F", configDirectory.path, "-l", config.path])
        let ldif = directory.appendingPathComponent("initial.ldif")
        try (plain.initialLDIF(suffix: options.suffix, servicePasswordHash: renderer.servicePasswordHash) + "\n" + options.offlineLDIF)
            .write(to: ldif, atomically: true, encoding: .utf8)
        try appendWrittenLDIF(to: ldif)
        try ProcessRunner.run("slapadd", ["-F", configDirectory.path, "-q", "-b", options.suffix, "-l", ldif.path])
        try? FileManager.default.removeItem(at: ldif)
    }

    private var configArguments: [String] {
        if options.plain != nil { return ["-F", configDirectory.path] }
        return switch options.configStyle {
        case .cnConfig: ["-F", configDirectory.path]
        case .slapdConf: ["-f", configFile.path]
        }
    }

    /// New automatic ports for another start attempt.
    private func pickPorts() throws {
        port = try ProcessRunner.freePort()
        if tlsPort != nil { tlsPort = try ProcessRunner.freePort() }
    }

    /// Starts slapd and waits until an anonymous root DSE search succeeds over this instance's own ldapi socket
    /// and then over TCP (so another slapd answering on the same port is never mistaken for this one).
    private func launch() async throws {
        let listeners = "ldap://127.0.0.1:\(port)/ " + ldapiURL + (tlsPort.map { " ldaps://127.0.0.1:\($0)/" } ?? "")
        // SLAPD_DEBUG=stats logs every operation to slapd.log in the instance directory (useful when CI fails).
        let debug = ProcessInfo.processInfo.environment["SLAPD_DEBUG"] ?? "0"
        let process = try SpawnedProcess(
            executable: ProcessRunner.locate("slapd") ?? "/usr/sbin/slapd",
            arguments: configArguments + ["-h", listeners, "-d", debug],
            outputPath: logFile.path)
        self.process = process
        startWatchdog(slapdPID: process.pid)
        let deadline = ContinuousClock.now + options.startTimeout
        let own = LDAPConfiguration(uris: [ldapiURL], networkTimeout: .milliseconds(500), operationTimeout: .seconds(2))
        let probe = LDAPConfiguration(uris: [url], networkTimeout: .milliseconds(500), operationTimeout: .seconds(2))
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw SlapdError("slapd exited during start-up (\(process.terminationStatus)); log: \(logTail())")
            }
            if let local = try? await LDAPConnection.connect(own),
                (try? await local.search(base: "", scope: .base, attributes: ["1.1"])) != nil,
                process.isRunning,
                let connection = try? await LDAPConnection.connect(probe),
                (try? await connection.search(base: "", scope: .base, attributes: ["1.1"])) != nil
            {
                logger.debug("slapd ready", metadata: ["port": "\(port)", "pid": "\(process.pid)"])
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SlapdError("slapd did not answer within \(options.startTimeout); log: \(logTail())")
    }

    /// A self-signed certificate for 127.0.0.1 (and localhost), valid for two days.
    private func makeCertificate() throws -> (cert: String, key: String) {
        let folder = directory.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let cert = folder.appendingPathComponent("cert.pem").path
        let key = folder.appendingPathComponent("key.pem").path
        try ProcessRunner.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ])
        return (cert, key)
    }

    /// A client certificate signed by the instance's certificate, for SASL EXTERNAL over TLS; its identity is
    /// `cn=<commonName>`.
    public func makeClientCertificate(commonName: String) throws -> (cert: String, key: String) {
        let folder = directory.appendingPathComponent("tls")
        let key = folder.appendingPathComponent("\(commonName).key").path
        let request = folder.appendingPathComponent("\(commonName).csr").path
        let cert = folder.appendingPathComponent("\(commonName).pem").path
        try ProcessRunner.run(
            "openssl",
            [
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
                "-subj", "/CN=\(commonName)",
            ])
        try ProcessRunner.run(
            "openssl",
            [
                "x509", "-req", "-in", request, "-CA", caFile,
                "-CAkey", folder.appendingPathComponent("key.pem").path, "-CAcreateserial",
                "-out", cert, "-days", "2",
            ])
        return (cert, key)
    }

    /// A tiny shell loop that stops slapd (and removes a temporary directory) if this process dies without
    /// calling stop(), so test runs and demos never leave a slapd behind.
    private func startWatchdog(slapdPID: Int32) {
        let cleanup = ownsDirectory ? "; rm -rf '\(directory.path)'" : ""
        let script =
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(slapdPID) 2>/dev/null; do sleep 1; done; "
            + "if kill -0 \(slapdPID) 2>/dev/null; then kill -TERM \(slapdPID)\(cleanup); fi"
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", script]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    var logFile: URL { directory.appendingPathComponent("slapd.log") }

    private func logTail() -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return String(text.suffix(1500))
    }

    /// Adds LDIF entries online as the rootDN (overlays apply). Only `dn:`/attribute lines and blank separators.
    public func addOnline(_ ldif: String) async throws {
        let connection = try await LDAPConnection.connect(adminConfiguration())
        for record in LDIFParser.records(ldif) {
            _ = try await connection.add(dn: record.dn, attributes: record.attributes)
        }
    }

    /// Stops slapd (SIGTERM, waits for the exit) and removes a temporary directory.
    public func stop() {
        terminate()
        if ownsDirectory { try? FileManager.default.removeItem(at: directory) }
    }

    /// Stops slapd but keeps its data, for restart().
    public func terminate() {
        guard let process else { return }
        process.signal(SIGTERM)
        process.wait(timeout: .seconds(5))
        self.process = nil
    }

    /// Kills slapd abruptly (SIGKILL): for tests of connection loss.
    public func kill() {
        guard let process else { return }
        process.signal(SIGKILL)
        process.wait(timeout: .seconds(5))
        self.process = nil
    }

    /// Starts slapd again on the same port and data.
    public func restart() async throws {
        terminate()
        try await launch()
    }
}

/// Bounds how many slapd instances of this process start at the same time.
actor StartGate {
    static let shared = StartGate(limit: 3)
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if running < limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
