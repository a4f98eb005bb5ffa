import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import Logging
import SCIMApp
import SCIMServer
import SlapdHarness
import Synchronization
import Testing

/// `logFormat: json` writes one JSON object per line, and every line logged while a request runs names its
/// request id — the LDAP pool's too, whose calls take no request logger (`RequestLogMetadata`).
@Suite("Log format and request ids")
struct LogFormatTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    static func objects(_ lines: [String]) throws -> [[String: Any]] {
        try lines.map { line in
            #expect(!line.contains("\n"), "one object per line")
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    @Test func oneObjectPerLineWithEveryField() throws {
        let lines = Lines()
        var logger = Logger(label: "scim-gateway") { label in
            JSONLogHandler(label: label, metadataProvider: RequestLogMetadata.provider) { line in lines.lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "component"] = "tests"
        logger.warning("quote \" backslash \\ newline \n tab \t control \u{1} done", metadata: ["n": "\(42)", "list": ["a", "b"]])
        RequestLogMetadata.$requestID.withValue("rid-7") { logger.info("inside") }
        let objects = try Self.objects(lines.all)
        #expect(objects.count == 2)
        let first = objects[0]
        #expect(first["level"] as? String == "warning")
        #expect(first["label"] as? String == "scim-gateway")
        #expect(first["message"] as? String == "quote \" backslash \\ newline \n tab \t control \u{1} done")
        let time = try #require(first["time"] as? String)
        #expect(time.hasSuffix("Z") && time.contains("T") && time.contains("."), "\(time)")
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["component"] as? String == "tests")
        #expect(metadata["n"] as? String == "42")
        #expect(metadata["list"] as? [String] == ["a", "b"])
        #expect(metadata["request.id"] == nil)
        #expect((objects[1]["metadata"] as? [String: Any])?["request.id"] as? String == "rid-7")
    }

    @Test func textLinesCarryTheLatestMetadataSorted() throws {
        let lines = Lines()
        var logger = Logger(label: "scim-gateway") { label in
            TextLogHandler(label: label, metadataProvider: RequestLogMetadata.provider) { line in lines.lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "client"] = "first"
        logger[metadataKey: "client"] = "tests"
        logger[metadataKey: "b"] = "2"
        logger.debug("below the level")
        RequestLogMetadata.$requestID.withValue("rid-9") { logger.warning("hello", metadata: ["a": "1"]) }
        logger[metadataKey: "b"] = nil
        logger.info("again")
        let all = lines.all
        #expect(all.count == 2)
        let first = try #require(all.first)
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} warning scim-gateway: a=1 b=2 client=tests request\.id=rid-9 \[[A-Za-z]+\] hello$/#
        #expect(first.wholeMatch(of: pattern) != nil, "\(first)")
        #expect(all.last?.hasSuffix("info scim-gateway: client=tests [IntegrationTests] again") == true, "\(all.last ?? "")")
    }

    @Test func theFormatIsChosenByConfigAndEnvironment() throws {
        var config = GatewayConfig()
        #expect(try config.logFormatSetting() == .text)
        try config.applyEnvironment(["SCIM_GATEWAY_LOG_FORMAT": "json"])
        #expect(try config.logFormatSetting() == .json)
        config.logFormat = "xml"
        #expect(throws: ConfigError.self) { try config.logFormatSetting() }
    }

    @Test func theLDAPPoolsWarningNamesTheRequest() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        let lines = Lines()
        var logger = Logger(label: "scim-gateway") { label in
            JSONLogHandler(label: label, metadataProvider: RequestLogMetadata.provider) { line in lines.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .debug
        let gateway = try GatewayApplication.build(
            config: harness.gateway.config, configDirectory: GatewayHarness.repository,
            logger: logger)
        defer { gateway.pool.shutdown() }
        try await Application(router: gateway.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            .test(.router) { client in
                let up = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: GatewayHarness.auth)
                #expect(up.status == .ok)
                harness.slapd.terminate()
                var headers = GatewayHarness.auth
                headers[HTTPField.Name("X-Request-ID")!] = "down-request-1"
                // The first may fail on its pooled connection without reconnecting; by the second at the latest the
                // pool tries to connect (and warns) inside a request.
                for _ in 0..<2 {
                    let down = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: headers)
                    #expect(down.status == .serviceUnavailable)
                    #expect(down.headers[HTTPField.Name("X-Request-ID")!] == "down-request-1")
                }
                let metrics = try await client.execute(uri: "/metrics", method: .get)
                let text = PrometheusText(String(buffer: metrics.body))
                #expect(text.value("scim_gateway_ldap_directory_up") == 0)
                #expect(text.value("scim_gateway_ldap_operations_total", ["operation": "bind", "result": "unavailable"]) >= 1)
                #expect(
                    text.value(ServerMetrics.requestsName, ["method": "GET", "route": "/scim/v2/Users", "status": "503", "client": "tests"]) == 2)
            }
        let objects = try Self.objects(lines.all)
        let warning = try #require(
            objects.first { $0["message"] as? String == "cannot connect to the directory" },
            "the pool's warning was logged")
        #expect(warning["level"] as? String == "warning")
        #expect((warning["metadata"] as? [String: Any])?["request.id"] as? String == "down-request-1")
    }
}
