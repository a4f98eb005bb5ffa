import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OrderedCollections
import NIOSSL
import NIOFoundationCompat
import SCIMCore

/// A SCIM target's answer that is not a success, or no answer at all.
public struct TargetError: Error, Sendable, CustomStringConvertible {
    /// Nil: no HTTP answer (connection refused, timeout, TLS).
    public var status: Int?
    public var scimType: String?
    public var detail: String
    /// From `Retry-After` (429, 503).
    public var retryAfter: Duration?

    /// Worth trying again later: no answer, 408, 429, 5xx. Other 4xx will not heal by themselves.
    public var retryable: Bool {
        guard let status else { return true }
        return status == 408 || status == 429 || status >= 500
    }

    /// The target answered that it did not process the request (429, 503): any request may be sent again.
    public var refusedUnprocessed: Bool {
        status == 429 || status == 503
    }

    public var description: String {
        guard let status else { return "no answer: \(detail)" }
        return "HTTP \(status)\(scimType.map { " \($0)" } ?? ""): \(detail)"
    }
}

/// The SCIM client of one target, over async-http-client: JSON in and out, bearer or OAuth2 client
/// credentials, a rate limit, retries with exponential backoff and jitter that honour `Retry-After`.
public final class TargetClient: Sendable {
    public let settings: TargetSettings
    let http: HTTPClient
    let tokens: TokenSource
    let limiter: RateLimiter?
    let logger: Logger
    /// Attempts per request for retryable failures (the engine's own retry loop takes over after that).
    let attempts: Int
    let maxResponseBytes = 64 << 20

    public init(settings: TargetSettings, logger: Logger, attempts: Int = 4) throws {
        var configuration = HTTPClient.Configuration()
        if let caFile = settings.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(settings.requestTimeout.components.seconds)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.concurrency)
        configuration.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.settings = settings
        self.tokens = TokenSource(authentication: settings.authentication)
        self.limiter = settings.requestsPerSecond.map { RateLimiter(perSecond: $0) }
        self.logger = logger
        self.attempts = max(1, attempts)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    deinit {
        // A client built but never run (a config check, a CLI command) still owns an HTTP client; shut down
        // without blocking (this may run on an event loop).
        http.shutdown(queue: .global()) { _ in }
    }

    // MARK: SCIM operations

    public func get(_ path: String) async throws(TargetError) -> JSONValue? {
        try await send(.GET, path)
    }

    /// Resources of `endpoint` (`/Users`) matching a SCIM filter.
    public func search(_ endpoint: String, filter: String, count: Int = 10) async throws(TargetError) -> [JSONValue] {
        let query = "filter=\(Self.percentEncoded(filter))&count=\(count)"
        let list = try await send(.GET, "\(endpoint)?\(query)")
        return list?["Resources"]?.arrayValue ?? []
    }

    /// Every resource of `endpoint`, page by page (startIndex/count, RFC 7644 §3.4.2.4); `attributes` narrows
    /// what the target returns.
    public func list(_ endpoint: String, pageSize: Int = 200, attributes: String? = nil) async throws(TargetError) -> [JSONValue] {
        var all: [JSONValue] = []
        var start = 1
        while true {
            var query = "startIndex=\(start)&count=\(pageSize)"
            if let attributes { query += "&attributes=\(Self.percentEncoded(attributes))" }
            let page = try await send(.GET, "\(endpoint)?\(query)")
            let resources = page?["Resources"]?.arrayValue ?? []
            all.append(contentsOf: resources)
            let total = page?["totalResults"]?.int64Value.map(Int.init) ?? all.count
            if resources.isEmpty || all.count >= total { return all }
            start += resources.count
        }
    }

    public func create(_ endpoint: String, _ body: JSONValue) async throws(TargetError) -> JSONValue {
        guard let created = try await send(.POST, endpoint, body: body) else {
            throw TargetError(status: 201, detail: "the target returned no resource")
        }
        return created
    }

    public func replace(_ path: String, _ body: JSONValue) async throws(TargetError) -> JSONValue? {
        try await send(.PUT, path, body: body)
    }

    public func patch(_ path: String, operations: [JSONValue]) async throws(TargetError) -> JSONValue? {
        try await send(.PATCH, path, body: ResourceDiff.patchBody(operations))
    }

    /// A Bulk request (RFC 7644 §3.7) of `operations`; the answers of its operations, in the target's order. Like
    /// a POST it is never repeated after a lost answer (only after 429/503, when nothing was processed).
    public func bulk(_ operations: [JSONValue]) async throws(TargetError) -> [JSONValue] {
        let body: JSONValue = .object([
            "schemas": .array([.string("urn:ietf:params:scim:api:messages:2.0:BulkRequest")]),
            "Operations": .array(operations),
        ])
        guard let answer = try await send(.POST, "/Bulk", body: body), let results = answer["Operations"]?.arrayValue else {
            throw TargetError(status: 200, detail: "the target's Bulk response has no Operations")
        }
        return results
    }

    public func delete(_ path: String) async throws(TargetError) {
        _ = try await send(.DELETE, path)
    }

    // MARK: Transport

    /// One request with retries. `path` is relative to the base URL (and may carry a query).
    func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws(TargetError) -> JSONValue? {
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            do {
                return try await once(method, path, body: body)
            } catch let error where error.status == 401 && !refreshed && tokens.refreshes {
                refreshed = true
                await tokens.invalidate()
                attempt -= 1
            } catch let error where error.retryable && attempt < attempts && (Self.idempotent(method) || error.refusedUnprocessed) {
                let delay = Backoff.delay(attempt: attempt, base: .milliseconds(200), cap: .seconds(10), retryAfter: error.retryAfter)
                logger.debug(
                    "target request failed, retrying",
                    metadata: [
                        "target": "\(settings.name)", "method": "\(method.rawValue)", "error": "\(error)", "delay": "\(delay)",
                    ])
                do { try await Task.sleep(for: delay) } catch { throw TargetError(status: nil, detail: "cancelled") }
            }
        }
    }

    /// Sending it twice has the effect of sending it once. A POST or PATCH whose answer was lost may have been
    /// applied: it is not repeated here (a second POST would create a duplicate, a second member `remove` would
    /// fail with noTarget); the engine's own retry reads the target first and sends what still differs.
    static func idempotent(_ method: HTTPMethod) -> Bool {
        method == .GET || method == .PUT || method == .DELETE
    }

    private func once(_ method: HTTPMethod, _ path: String, body: JSONValue?) async throws(TargetError) -> JSONValue? {
        if let limiter { await limiter.acquire() }
        var request = HTTPClientRequest(url: settings.baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/scim+json, application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/scim+json")
            request.body = .bytes(ByteBuffer(bytes: body.jsonBytes()))
        }
        do {
            if let token = try await tokens.token(using: http) { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        } catch {
            throw TargetError(status: nil, detail: "cannot obtain an access token: \(error)")
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            let timeout = TimeAmount.seconds(Int64(settings.requestTimeout.components.seconds))
            response = try await http.execute(request, timeout: timeout, logger: nil)
            bytes = try await response.body.collect(upTo: maxResponseBytes)
        } catch {
            throw TargetError(status: nil, detail: "\(error)")
        }
        let status = Int(response.status.code)
        var json: JSONValue?
        if bytes.readableBytes > 0 { json = try? JSONValue.parse(Data(buffer: bytes), maxDepth: 64, maxBytes: maxResponseBytes) }
        guard (200..<300).contains(status) else {
            throw TargetError(
                status: status, scimType: json?["scimType"]?.stringValue,
                detail: String((json?["detail"]?.stringValue ?? response.status.reasonPhrase).prefix(500)),
                retryAfter: response.headers.first(name: "Retry-After").flatMap(Backoff.parseRetryAfter))
        }
        return json
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// Exponential backoff with full jitter, capped; a server's `Retry-After` wins when it asks for longer.
enum Backoff {
    static func delay(attempt: Int, base: Duration, cap: Duration, retryAfter: Duration? = nil) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let ceiling = min(base * (1 << exponent), cap)
        let millis = max(1, Int(ceiling.components.seconds * 1000 + ceiling.components.attoseconds / 1_000_000_000_000_000))
        let jittered = Duration.milliseconds(Int.random(in: millis / 2...millis))
        if let retryAfter, retryAfter > jittered { return min(retryAfter, .seconds(300)) }
        return jittered
    }

    /// `Retry-After: 7` or an HTTP date.
    static func parseRetryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return .seconds(max(0, Int(date.timeIntervalSinceNow.rounded(.up))))
    }
}
