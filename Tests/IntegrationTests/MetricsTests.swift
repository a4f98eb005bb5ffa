import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SCIMApp
import SCIMCore
import SCIMServer
import Testing

/// `/metrics` read from a live gateway on a real slapd: the counters move with the requests made, labels carry
/// route templates (never ids), and every metric the Grafana dashboard queries is really exported.
@Suite("Metrics")
struct MetricsTests {
    static let dashboard = GatewayHarness.repository.appendingPathComponent("docker/grafana/scim-gateway.json")
    static let requests = ServerMetrics.requestsName

    static func scrape(_ client: some TestClientProtocol, token: String? = nil) async throws -> PrometheusText {
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return PrometheusText(String(buffer: response.body))
    }

    /// Every `expr` of every panel, and every templating query, of the dashboard.
    static func dashboardQueries() throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboard)) as? [String: Any]
        var queries: [String] = []
        for panel in json?["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { queries.append(expr) }
            }
        }
        let templating = (json?["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in templating {
            if let query = (variable["query"] as? [String: Any])?["query"] as? String { queries.append(query) }
        }
        return queries
    }

    @Test func countersMoveAndTheDashboardQueriesOnlyExportedMetrics() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.live) { client in
            let auth = GatewayHarness.auth
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(userJSON("metrics-one")))
            #expect(created.status == .created)
            let id = try #require(created.json?["id"]?.stringValue)
            let before = try await Self.scrape(client)

            let read = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: auth)
            #expect(read.status == .ok)
            let unknown = try await client.execute(uri: "/scim/v2/Nowhere/\(id)", method: .get, headers: auth)
            #expect(unknown.status == .notFound)
            let bulk = try await client.execute(
                uri: "/scim/v2/Bulk", method: .post, headers: auth,
                body: jsonBody(
                    """
                    {"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
                     {"method":"POST","path":"/Users","bulkId":"b1","data":\(userJSON("metrics-two"))}]}
                    """))
            #expect(bulk.status == .ok)
            let after = try await Self.scrape(client)

            // The GET counts once under its route template and its client; the id is in no label.
            let get = ["method": "GET", "route": "/scim/v2/Users/{id}", "status": "200", "client": "tests"]
            #expect(after.value(Self.requests, get) == before.value(Self.requests, get) + 1)
            #expect(
                after.value(ServerMetrics.durationName + "_count", ["method": "GET", "route": "/scim/v2/Users/{id}"])
                    == before.value(ServerMetrics.durationName + "_count", ["method": "GET", "route": "/scim/v2/Users/{id}"]) + 1)
            #expect(!after.samples.contains { $0.labels.values.contains { $0.contains(id) } }, "an id in a label")
            #expect(after.value(Self.requests, ["method": "GET", "route": "unmatched", "status": "404", "client": "tests"]) == 1)
            #expect(after.value(Self.requests, ["method": "POST", "route": "/scim/v2/Users", "status": "201", "client": "tests"]) == 1)
            #expect(
                Set(after.samples.filter { $0.name == Self.requests }.compactMap { $0.labels["route"] })
                    .allSatisfy { $0 == "unmatched" || $0.hasPrefix("/") && !$0.contains("metrics-") })

            // LDAP operations by kind and result class, with latency; the pool and the directory.
            let searches = ["operation": "search", "result": "success"]
            #expect(after.value("scim_gateway_ldap_operations_total", searches) > before.value("scim_gateway_ldap_operations_total", searches))
            #expect(after.value("scim_gateway_ldap_operations_total", ["operation": "add", "result": "success"]) >= 2)
            #expect(after.value("scim_gateway_ldap_operations_total", ["operation": "bind", "result": "success"]) >= 1)
            #expect(
                after.value("scim_gateway_ldap_operation_duration_seconds_count", ["operation": "search"])
                    > before.value("scim_gateway_ldap_operation_duration_seconds_count", ["operation": "search"]))
            #expect(after.value("scim_gateway_ldap_directory_up") == 1)
            #expect(after.value("scim_gateway_ldap_pool_connections_in_use") + after.value("scim_gateway_ldap_pool_connections_idle") >= 1)
            #expect(after.value("scim_gateway_ldap_pool_waiting_callers") == 0)

            // Bulk: one request, one successful POST.
            #expect(after.value("scim_gateway_bulk_requests_total") == 1)
            #expect(after.value("scim_gateway_bulk_operations_total", ["method": "POST", "result": "success"]) == 1)
            #expect(after.value("scim_gateway_rate_limit_refusals_total", ["client": "tests"]) == 0)

            // Every metric every dashboard query names is exported.
            let queries = try Self.dashboardQueries()
            #expect(queries.count >= 15)
            for query in queries {
                let names = PromQLMetricNames.names(in: query)
                #expect(!names.isEmpty, "no metric in \(query)")
                // Provisioning metrics exist only on a gateway with targets: checked by ProvisioningTests.
                for name in names where !name.hasPrefix("scim_gateway_provisioning_") {
                    #expect(after.names.contains(name), "the dashboard queries \(name), which /metrics does not export")
                }
            }
        }
    }

    @Test func rateLimitRefusalsAreCounted() async throws {
        let harness = try await GatewayHarness.start { config in
            config.clients[0].rateLimit = .init(requestsPerSecond: 0.01, burst: 1)
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let missing = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(userJSON("limited")))
            #expect(missing.status == .created)
            let refused = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: auth)
            #expect(refused.status == .tooManyRequests)
            let strict: HTTPFields = [.authorization: "Bearer \(GatewayHarness.strictToken)", .contentType: "application/scim+json"]
            let duplicate = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: strict,
                body: jsonBody(userJSON("limited")))
            #expect(duplicate.status == .conflict)
            let metrics = try await Self.scrape(client)
            #expect(metrics.value("scim_gateway_rate_limit_refusals_total", ["client": "tests"]) == 1)
            #expect(metrics.value(Self.requests, ["method": "GET", "route": "/scim/v2/Users", "status": "429", "client": "tests"]) == 1)
        }
    }

    @Test func aTokenOfItsOwnGuardsTheEndpoint() async throws {
        let metricsToken = "metrics-scrape-token"
        let harness = try await GatewayHarness.start { $0.metrics.token = metricsToken }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let open = try await client.execute(uri: "/metrics", method: .get)
            #expect(open.status == .unauthorized)
            #expect(open.headers[.wwwAuthenticate] == #"Bearer realm="metrics""#)
            let scimToken = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(GatewayHarness.token)"])
            #expect(scimToken.status == .unauthorized)
            let wrong = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(metricsToken)x"])
            #expect(wrong.status == .unauthorized)
            let scraped = try await Self.scrape(client, token: metricsToken)
            #expect(scraped.names.contains("scim_gateway_ldap_directory_up"))
            // The metrics token opens nothing else.
            let api = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: [.authorization: "Bearer \(metricsToken)"])
            #expect(api.status == .unauthorized)
        }
    }

    @Test func aListenerOfItsOwn() async throws {
        let harness = try await GatewayHarness.start { config in
            config.metrics.port = 19_090
            config.metrics.token = "own-listener-token"
        }
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let main = try await client.execute(uri: "/metrics", method: .get, headers: GatewayHarness.auth)
            #expect(main.status == .notFound, "the main listener does not serve /metrics when it has a listener of its own")
            let users = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: GatewayHarness.auth)
            #expect(users.status == .ok)
        }
        let app = try #require(harness.gateway.metricsApplication(port: 0))
        try await app.test(.live) { client in
            let refused = try await client.execute(uri: "/metrics", method: .get)
            #expect(refused.status == .unauthorized)
            let scraped = try await Self.scrape(client, token: "own-listener-token")
            // The API's request above is counted in the same registry.
            #expect(scraped.value(Self.requests, ["method": "GET", "route": "/scim/v2/Users", "status": "200", "client": "tests"]) == 1)
        }
    }

    @Test func metricsOffRemovesTheEndpoint() async throws {
        let harness = try await GatewayHarness.start { $0.metrics.enabled = false }
        defer { harness.stop() }
        #expect(harness.gateway.metrics == nil)
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get, headers: GatewayHarness.auth)
            #expect(response.status == .notFound)
        }
    }
}

/// The `metrics:` keys, from the file and the environment.
@Suite("Metrics configuration")
struct MetricsConfigTests {
    @Test func keysFromTheEnvironmentAndASecretFile() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
        try "scrape-secret\n".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        var config = GatewayConfig()
        #expect(config.metrics.enabled == nil && config.metrics.port == nil && config.metrics.token == nil)
        try config.applyEnvironment([
            "SCIM_GATEWAY_METRICS_PORT": "9464", "SCIM_GATEWAY_METRICS_HOST": "10.0.0.5",
            "SCIM_GATEWAY_METRICS_TOKEN_FILE": secret.path,
        ])
        #expect(config.metrics.port == 9464 && config.metrics.host == "10.0.0.5")
        #expect(config.metrics.token == "scrape-secret")
        try config.checkMetrics()

        var file = GatewayConfig()
        file.metrics.tokenFile = secret.path
        try file.applyEnvironment([:])
        #expect(file.metrics.token == "scrape-secret")
        file.metrics.tokenFile = secret.path + ".missing"
        file.metrics.token = nil
        #expect(throws: ConfigError.self) { try file.applyEnvironment([:]) }
    }

    @Test func badValuesAreRefused() throws {
        var config = GatewayConfig()
        config.metrics.port = config.server.port
        #expect(throws: ConfigError.self) { try config.checkMetrics() }
        config.metrics.port = 70_000
        #expect(throws: ConfigError.self) { try config.checkMetrics() }
        config.metrics.port = nil
        config.metrics.token = ""
        #expect(throws: ConfigError.self) { try config.checkMetrics() }
        var off = GatewayConfig()
        try off.applyEnvironment(["SCIM_GATEWAY_METRICS_ENABLED": "false"])
        #expect(off.metrics.enabled == false)
    }
}

/// The PromQL reader the dashboard test relies on: it must find what a query reads, and only that.
@Suite("PromQL metric names")
struct PromQLMetricNamesTests {
    @Test(arguments: [
        (#"sum by (le, route) (rate(a_bucket{route=~"/x{id}", client="$client"}[$__rate_interval]))"#, ["a_bucket"]),
        (#"sum(rate(a_total[5m])) / clamp_min(sum(rate(b_total{status=~"5.."}[5m])), 1e-9)"#, ["a_total", "b_total"]),
        ("x / on(instance) group_left y", ["x", "y"]),
        ("min(up_gauge)", ["up_gauge"]),
        ("label_values(c_total, client)", ["c_total"]),
        ("histogram_quantile(0.99, sum without (pod) (rate(d_seconds_bucket[1m])))", ["d_seconds_bucket"]),
    ])
    func findsTheMetrics(expression: String, expected: [String]) {
        #expect(PromQLMetricNames.names(in: expression) == Set(expected))
    }

    @Test func anExpositionWithoutAQueriedNameFailsTheCheck() {
        let exposition = PrometheusText("# TYPE a_total counter\na_total{x=\"1\"} 3\n")
        #expect(exposition.names == ["a_total"])
        #expect(exposition.value("a_total", ["x": "1"]) == 3)
        #expect(!PromQLMetricNames.names(in: "rate(b_total[5m])").isSubset(of: exposition.names))
    }
}
