import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import SCIMApp
import SCIMCore
import SlapdHarness
import Testing

/// The demo's sample users go to slapadd through `SlapdOptions.offlineLDIFWriter`, written in chunks of 5,000
/// (a million users never sit in memory at once): every user arrives, once, across the chunk boundaries.
@Suite("Demo sample data")
struct SampleDataTests {
    @Test func sampleUsersWrittenInChunksAllArrive() async throws {
        let count = 10_003
        var options = SlapdOptions()
        options.offlineLDIFWriter = { try SampleData.writeUsersLDIF(count: count, peopleDN: "ou=people,dc=example,dc=org", to: $0) }
        let harness = try await GatewayHarness.start(options: options)
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let all = try await client.execute(
                uri: "/scim/v2/Users?filter=userName%20sw%20%22user%22&count=0", method: .get, headers: GatewayHarness.auth)
            #expect(all.json?["totalResults"] == .integer(Int64(count)))
            for uid in [SampleData.uid(1), SampleData.uid(5_000), SampleData.uid(5_001), SampleData.uid(count)] {
                let found = try await client.execute(
                    uri: "/scim/v2/Users?filter=userName%20eq%20%22\(uid)%22", method: .get, headers: GatewayHarness.auth)
                #expect(found.json?["totalResults"] == .integer(1), "\(uid)")
            }
        }
    }
}
