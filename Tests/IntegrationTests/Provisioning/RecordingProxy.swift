import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import OrderedCollections
import SCIMCore
import ServiceLifecycle
import SlapdHarness
import Synchronization

/// A loopback HTTP proxy in front of a provisioning target: it records every request on the wire (method, path,
/// JSON body) so tests assert what was sent, and can play a target that is down (503 with Retry-After).
final class RecordingProxy: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var body: JSONValue?
    }

    /// What the handlers share with the tests.
    final class Shared: Sendable {
        let log = Mutex<[Request]>([])
        let down = Mutex(false)
        /// Plays a target without PATCH: its ServiceProviderConfig says so and PATCH is refused (501).
        let noPatch = Mutex(false)
        /// POSTs still to be forwarded with their answer replaced by a 502 (applied upstream, answer lost).
        let lostAnswers = Mutex(0)
        /// Plays a target whose ServiceProviderConfig offers Bulk but whose /Bulk endpoint is missing (404).
        let noBulk = Mutex(false)
    }

    let port: Int
    let upstream: String
    private let shared = Shared()
    private let task: Task<Void, any Error>
    var url: String { "http://127.0.0.1:\(port)" }

    static func start(upstream: String, port: Int? = nil) async throws -> RecordingProxy {
        let port = try port ?? ProcessRunner.freePort()
        let proxy = RecordingProxy(port: port, upstream: upstream)
        for _ in 0..<100 {
            if (try? await TargetProbe.get(proxy.url + "/ServiceProviderConfig", token: SCIMTargetServer.token)) != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        proxy.clear()
        return proxy
    }

    private init(port: Int, upstream: String) {
        self.port = port
        self.upstream = upstream
        let router = Router()
        let shared = self.shared
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            router.on("**", method: method) { request, _ -> Response in
                let body = try await request.body.collect(upTo: 64 << 20)
                let path = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
                var json: JSONValue?
                if body.readableBytes > 0 { json = try? JSONValue.parse(Data(body.readableBytesView), maxDepth: 64, maxBytes: 64 << 20) }
                if shared.down.withLock({ $0 }) {
                    return Response(status: .serviceUnavailable, headers: [.retryAfter: "1"])
                }
                shared.log.withLock { $0.append(Request(method: request.method.rawValue, path: path, body: json)) }
                let noPatch = shared.noPatch.withLock { $0 }
                if noPatch, request.method == .patch {
                    return Response(status: .notImplemented)
                }
                if shared.noBulk.withLock({ $0 }), request.uri.path.hasPrefix("/Bulk") {
                    return Response(status: .notFound)
                }
                var forwarded = HTTPClientRequest(url: upstream + path)
                forwarded.method = .init(rawValue: request.method.rawValue)
                for field in request.headers where [.authorization, .contentType, .accept].contains(field.name) {
                    forwarded.headers.add(name: field.name.rawName, value: field.value)
                }
                if body.readableBytes > 0 { forwarded.body = .bytes(body) }
                let response = try await HTTPClient.shared.execute(forwarded, timeout: .seconds(30))
                let bytes = try await response.body.collect(upTo: 64 << 20)
                if request.method == .post,
                    shared.lostAnswers.withLock({ count in
                        defer { count = max(0, count - 1) }
                        return count > 0
                    })
                {
                    return Response(status: .badGateway)
                }
                if noPatch, path.hasPrefix("/ServiceProviderConfig"),
                    var config = try? JSONValue.parse(Data(bytes.readableBytesView), maxDepth: 64, maxBytes: 1 << 20).objectValue
                {
                    config["patch"] = .object(["supported": .bool(false)])
                    return Response(
                        status: .ok, headers: [.contentType: "application/scim+json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(config).jsonBytes())))
                }
                var headers = HTTPFields()
                if let type = response.headers.first(name: "Content-Type") { headers[.contentType] = type }
                if let location = response.headers.first(name: "Location") { headers[.location] = location }
                return Response(status: .init(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: bytes))
            }
        }
        var logger = Logger(label: "proxy")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
    }

    var requests: [Request] { shared.log.withLock { $0 } }
    func clear() { shared.log.withLock { $0.removeAll() } }
    func setDown(_ value: Bool) { shared.down.withLock { $0 = value } }
    /// The next `count` POSTs reach the target but their answers are lost (502, as a gateway whose upstream
    /// connection broke after sending).
    func refusePatch(_ value: Bool) { shared.noPatch.withLock { $0 = value } }
    func loseAnswers(toNextPosts count: Int) { shared.lostAnswers.withLock { $0 = count } }
    func refuseBulk(_ value: Bool) { shared.noBulk.withLock { $0 = value } }

    /// Every create that reached the target, alone (`POST /Users`) or as an operation of a `POST /Bulk` (its
    /// path and data), with `bulk` telling which.
    var creates: [(request: Request, bulk: Bool)] {
        requests.flatMap { request -> [(request: Request, bulk: Bool)] in
            guard request.method == "POST" else { return [] }
            guard request.path.hasPrefix("/Bulk") else { return [(request, false)] }
            return (request.body?["Operations"]?.arrayValue ?? []).compactMap { operation in
                guard operation["method"]?.stringValue == "POST", let path = operation["path"]?.stringValue else { return nil }
                return (Request(method: "POST", path: path, body: operation["data"]), true)
            }
        }
    }

    /// Requests that change the target.
    var writes: [Request] { requests.filter { $0.method != "GET" } }

    func stop() { task.cancel() }
}

/// Reading a target directly (not through the proxy), as the assertions do.
enum TargetProbe {
    static func get(_ url: String, token: String) async throws -> JSONValue? {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { return nil }
        return try JSONValue.parse(Data(body.readableBytesView), maxDepth: 64, maxBytes: 64 << 20)
    }

    static func send(_ method: HTTPMethodName, _ url: String, token: String, body: JSONValue?) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method.rawValue)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/scim+json")
        if let body { request.body = .bytes(ByteBuffer(bytes: body.jsonBytes())) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var json: JSONValue?
        if bytes.readableBytes > 0 { json = try? JSONValue.parse(Data(bytes.readableBytesView), maxDepth: 64, maxBytes: 64 << 20) }
        return (Int(response.status.code), json)
    }

    /// Every resource of `endpoint` on the target (`/Users`), all pages.
    static func list(_ base: String, _ endpoint: String, token: String) async throws -> [JSONValue] {
        var all: [JSONValue] = []
        var start = 1
        while true {
            guard let page = try await get("\(base)\(endpoint)?startIndex=\(start)&count=500", token: token) else { return all }
            let resources = page["Resources"]?.arrayValue ?? []
            all += resources
            if resources.isEmpty || all.count >= Int(page["totalResults"]?.int64Value ?? 0) { return all }
            start += resources.count
        }
    }

    /// Polls until `condition` holds for the target's resources of `endpoint` (or the time is up).
    static func eventually(
        _ base: String, _ endpoint: String, within seconds: Double = 15,
        _ condition: ([JSONValue]) -> Bool
    ) async throws -> [JSONValue] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var last: [JSONValue] = []
        while ContinuousClock.now < deadline {
            last = try await list(base, endpoint, token: SCIMTargetServer.token)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }
}

enum HTTPMethodName: String {
    case GET, POST, PUT, PATCH, DELETE
}
