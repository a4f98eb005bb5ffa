import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LDAPClient
import Logging
import SCIMApp
import SCIMCore
import SCIMLDAP
import SCIMTestSupport
import SlapdHarness
import Testing

/// The start-up check as `serve` runs it (`GatewayApplication.detectCapabilities`), read from its log: what the
/// directory offers (info), what is missing and the service account's size limit with the clause to add (warning).
@Suite("Start-up: directory capabilities and size limits, logged")
struct StartupCapabilityTests {
    /// The harness's gateway rebuilt with a logger that records every line at info and above.
    static func gateway(_ harness: GatewayHarness, capture: LogCapture) throws -> GatewayApplication {
        var logger = capture.logger(label: "startup")
        logger.logLevel = .info
        return try GatewayApplication.build(config: harness.gateway.config, configDirectory: GatewayHarness.repository, logger: logger)
    }

    @Test func plainDirectoryWithoutOverlayUnderTheDefaultLimit() async throws {
        let harness = try await PlainListingTests.start(users: 510)
        defer { harness.stop() }
        let capture = LogCapture()
        let gateway = try Self.gateway(harness, capture: capture)
        defer { gateway.pool.shutdown() }
        let capabilities = try await gateway.detectCapabilities()
        #expect(capabilities.listing == .pagedWalk)
        let lines = capture.lines.map(\.text)
        #expect(lines.contains { $0.hasPrefix("info directory capabilities") && $0.contains("simple paged results in the directory's order") })
        #expect(lines.contains { $0.hasPrefix("warning directory capability missing") && $0.contains("sssvlv") })
        let limit = lines.first { $0.hasPrefix("warning the directory limits the service account to 500 entries") }
        #expect(limit?.contains("User base holds more") == true, "\(lines)")
        #expect(limit?.contains(#"olcLimits: dn.exact="cn=scim-gateway,dc=example,dc=org""#) == true)
        #expect(limit?.contains("size.prtotal=unlimited") == true)

        // The list that hits the limit is a 400 tooMany, logged at warning with the same clause (by the store, to the
        // request's logger: the application's, as `serve` gives it).
        try await Application(
            router: gateway.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: gateway.logger
        )
        .test(.router) { client in
            let response = try await client.execute(uri: "/scim/v2/Users", method: .get, headers: GatewayHarness.auth)
            #expect(response.status == .badRequest)
            #expect(response.json?["scimType"] == .string("tooMany"))
        }
        #expect(capture.text.contains("cut a list short; answered 400 tooMany"))
    }

    @Test func bundledDirectoryHasEverythingAndNoLimit() async throws {
        let harness = try await GatewayHarness.start(options: SlapdOptions(offlineLDIF: ListingTests.users(peopleDN: "ou=people,dc=example,dc=org")))
        defer { harness.stop() }
        let capture = LogCapture()
        let gateway = try Self.gateway(harness, capture: capture)
        defer { gateway.pool.shutdown() }
        let capabilities = try await gateway.detectCapabilities()
        #expect(capabilities.listing == .sortedWindow)
        #expect(capabilities.serverSideSort && capabilities.virtualListView && capabilities.pagedResults)
        let lines = capture.lines.map(\.text)
        #expect(lines.contains { $0.hasPrefix("info directory capabilities") && $0.contains("sortBy supported") })
        #expect(!lines.contains { $0.hasPrefix("warning") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("info no size limit on the service account found") })
    }
}
