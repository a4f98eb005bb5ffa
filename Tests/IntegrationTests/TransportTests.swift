import Foundation
import Hummingbird
import HummingbirdTesting
import SCIMApp
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// HTTPS with a certificate from files, client certificates (mTLS), and the bounds that keep slow or oversized
/// requests from tying the server up. Checked with curl and raw sockets against the live server.
@Suite("Transport: HTTPS, mTLS, slow and oversized requests")
struct TransportTests {
    /// A CA, a server certificate for 127.0.0.1, a client certificate from that CA, and one from nobody.
    static func certificates(in folder: URL) throws {
        func openssl(_ arguments: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments.split(separator: " ").map(String.init)
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        try openssl("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca")
        try openssl("req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1")
        try "subjectAltName=IP:127.0.0.1\n".write(to: folder.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try openssl("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext")
        try openssl("req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=provisioner")
        try openssl("x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2")
        try openssl("req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 2 -subj /CN=rogue")
    }

    /// Blocking work (sockets, child processes) runs on a thread of its own, not on the cooperative pool the
    /// server under test needs (2 cores: two blocked pool threads would stall it).
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    static func curl(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await CommandRunner.run("/usr/bin/curl", ["-sS", "--max-time", "10"] + arguments)
    }

    @Test func httpsAndClientCertificates() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.certificates(in: folder)
        let path: @Sendable (String) -> String = { name in folder.appendingPathComponent(name).path }
        let harness = try await GatewayHarness.start { config in
            config.server.tls = .init(certificateFile: path("server.pem"), keyFile: path("server.key"), clientCAFile: path("ca.pem"))
        }
        defer { harness.stop() }
        try await harness.gateway.httpApplication(port: 0).test(.live) { client in
            let url = "https://127.0.0.1:\(client.port!)/scim/v2/ServiceProviderConfig"
            let auth = ["-H", "Authorization: Bearer \(GatewayHarness.token)"]
            let ok = try await Self.curl(
                [
                    "--cacert", path("ca.pem"), "--cert", path("client.pem"), "--key", path("client.key"),
                    "-o", "/dev/null", "-w", "%{http_code}",
                ] + auth + [url])
            #expect(ok.output == "200", "\(ok.output)")
            let noCertificate = try await Self.curl(["--cacert", path("ca.pem"), "-o", "/dev/null", "-w", "%{http_code}"] + auth + [url])
            #expect(noCertificate.status != 0 || noCertificate.output == "000")
            let rogue = try await Self.curl(
                [
                    "--cacert", path("ca.pem"), "--cert", path("rogue.pem"), "--key", path("rogue.key"),
                    "-o", "/dev/null", "-w", "%{http_code}",
                ] + auth + [url])
            #expect(rogue.status != 0 || rogue.output == "000")
            let plain = try await Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(client.port!)/healthz"])
            #expect(plain.output != "200")
        }
    }

    /// Connects, sends `bytes`, and reports how long until the server closed the connection (nil: still open
    /// after `limit`).
    static func secondsUntilClosed(port: Int, sending bytes: String, limit: Int = 8) async throws -> Double? {
        try await offPool { blockingSecondsUntilClosed(port: port, sending: bytes, limit: limit) }
    }

    static func blockingSecondsUntilClosed(port: Int, sending bytes: String, limit: Int) -> Double? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return 0 }
        var timeout = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let start = ContinuousClock.now
        _ = bytes.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let read = recv(fd, &buffer, buffer.count, 0)
            if read == 0 || (read < 0 && errno == ECONNRESET) {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            if read < 0 { return nil }  // timed out: still open
        }
    }

    /// Sends `requests` requests on one connection, `every` seconds apart, reading each answer; returns how many were
    /// answered and the seconds from the last answer until the server closed the connection (nil: still open
    /// after `limit`).
    static func blockingKeptAlive(port: Int, requests: Int, every: Double, limit: Int = 8) -> (answered: Int, closedAfter: Double?) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return (0, nil) }
        var timeout = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        var answered = 0
        for number in 0..<requests {
            if number > 0 { usleep(useconds_t(every * 1_000_000)) }
            _ = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            let read = recv(fd, &buffer, buffer.count, 0)
            guard read > 0 else { return (answered, 0) }
            if String(decoding: buffer[..<read], as: UTF8.self).hasPrefix("HTTP/1.1 200") { answered += 1 }
        }
        let start = ContinuousClock.now
        while true {
            let read = recv(fd, &buffer, buffer.count, 0)
            if read == 0 || (read < 0 && errno == ECONNRESET) {
                let elapsed = ContinuousClock.now - start
                return (answered, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            if read < 0 { return (answered, nil) }
        }
    }

    @Test func slowAndOversizedRequestsAreCutOff() async throws {
        let harness = try await GatewayHarness.start { config in
            config.server.headTimeoutSeconds = 1
            config.server.bodyTimeoutSeconds = 2
            config.server.maxHeaderBytes = 8192
        }
        defer { harness.stop() }
        try await harness.gateway.httpApplication(port: 0).test(.live) { client in
            let port = client.port!
            // Half a request head, then nothing (slowloris): closed after the head timeout, not left open.
            let head = try #require(try await Self.secondsUntilClosed(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: x\r\n"))
            #expect(head >= 0.8 && head < 4, "\(head)")
            // A head, then a body that never comes.
            let body = try #require(
                try await Self.secondsUntilClosed(
                    port: port,
                    sending: "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(GatewayHarness.token)\r\n"
                        + "Content-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{"))
            #expect(body >= 1.5 && body < 5, "\(body)")
            // An oversized header is refused (the connection is dropped; it never waits longer than the head timeout).
            let big = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n"
            let oversized = try #require(try await Self.secondsUntilClosed(port: port, sending: big))
            #expect(oversized < 1.5, "\(oversized)")
            // A normal request still works (and the connection closes after the next head timeout).
            let fine = try #require(try await Self.secondsUntilClosed(port: port, sending: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            #expect(fine >= 0.8 && fine < 4, "\(fine)")
            // Requests 0.6 s apart on one kept-alive connection outlast the 1 s head timeout, which counts from each
            // answer; once they stop, the connection is closed after it.
            let kept = try await Self.offPool { Self.blockingKeptAlive(port: port, requests: 4, every: 0.6) }
            #expect(kept.answered == 4)
            let idle = try #require(kept.closedAfter)
            #expect(idle >= 0.8 && idle < 4, "\(idle)")
        }
    }
}
