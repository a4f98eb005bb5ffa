import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import SCIMCore

/// The bearer token of a target: static, or an OAuth 2.0 client-credentials token fetched on first use,
/// reused until shortly before it expires, fetched again after a 401.
actor TokenSource {
    let authentication: TargetSettings.Authentication
    private var cached: (token: String, expires: ContinuousClock.Instant)?

    init(authentication: TargetSettings.Authentication) {
        self.authentication = authentication
    }

    nonisolated var refreshes: Bool {
        if case .clientCredentials = authentication { return true }
        return false
    }

    func invalidate() { cached = nil }

    func token(using http: HTTPClient) async throws -> String? {
        switch authentication {
        case .none: return nil
        case .bearer(let token): return token
        case .clientCredentials(let tokenURL, let clientID, let clientSecret, let scope):
            if let cached, ContinuousClock.now < cached.expires { return cached.token }
            let fetched = try await Self.fetch(http: http, tokenURL: tokenURL, clientID: clientID, secret: clientSecret, scope: scope)
            // Refreshed 30 s (or a tenth of its life) before it expires.
            let margin = min(30, fetched.lifetime / 10)
            cached = (fetched.token, ContinuousClock.now + .seconds(max(1, fetched.lifetime - margin)))
            return fetched.token
        }
    }

    struct TokenError: Error, CustomStringConvertible {
        let description: String
    }

    /// RFC 6749 §4.4: client authentication with HTTP Basic (§2.3.1), form-encoded body.
    static func fetch(http: HTTPClient, tokenURL: String, clientID: String, secret: String, scope: String?) async throws
        -> (token: String, lifetime: Int)
    {
        var request = HTTPClientRequest(url: tokenURL)
        request.method = .POST
        let credentials = "\(formEncoded(clientID)):\(formEncoded(secret))"
        request.headers.add(name: "Authorization", value: "Basic \(Data(credentials.utf8).base64EncodedString())")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        var form = "grant_type=client_credentials"
        if let scope { form += "&scope=\(formEncoded(scope))" }
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await http.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw TokenError(description: "the token endpoint answered \(response.status.code)")
        }
        let json = try JSONValue.parse(Data(buffer: body), maxDepth: 8, maxBytes: 1 << 20)
        guard let token = json["access_token"]?.stringValue, !token.isEmpty else {
            throw TokenError(description: "the token endpoint returned no access_token")
        }
        let lifetime = json["expires_in"]?.int64Value.map { Int(clamping: $0) } ?? 300
        return (token, max(1, lifetime))
    }

    /// application/x-www-form-urlencoded (RFC 6749 Appendix B for client ids and secrets).
    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: "%20", with: "+")
    }
}

/// A token bucket: at most `perSecond` requests per second on average, bursts of one second's worth.
actor RateLimiter {
    let perSecond: Double
    private var tokens: Double
    private var last = ContinuousClock.now

    init(perSecond: Double) {
        self.perSecond = max(0.1, perSecond)
        self.tokens = max(1, perSecond)
    }

    func acquire() async {
        while true {
            let now = ContinuousClock.now
            let elapsed = Double((now - last).components.attoseconds) / 1e18 + Double((now - last).components.seconds)
            last = now
            tokens = min(max(1, perSecond), tokens + elapsed * perSecond)
            if tokens >= 1 {
                tokens -= 1
                return
            }
            let wait = (1 - tokens) / perSecond
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000) + 1))
        }
    }
}
