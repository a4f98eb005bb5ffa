import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

@Suite("Listing: server-side sort + VLV paging, exact totals")
struct ListingTests {
    static let userCount = 57

    static func users(peopleDN: String) -> String {
        (1...userCount).map { index in
            """
            dn: uid=list\(String(format: "%03d", index)),\(peopleDN)
            objectClass: inetOrgPerson
            objectClass: scimUser
            uid: list\(String(format: "%03d", index))
            cn: List \(index)
            sn: Zz\(String(format: "%03d", (index * 37) % 101))
            displayName: List \(index)

            """
        }.joined(separator: "\n")
    }

    static func list(_ client: some TestClientProtocol, _ query: String) async throws -> JSONValue {
        let response = try await client.execute(uri: "/scim/v2/Users?\(query)", method: .get, headers: GatewayHarness.auth)
        #expect(response.status == .ok, "GET /Users?\(query)")
        return response.json ?? .null
    }

    @Test func pagesAreExactAndSorted() async throws {
        let harness = try await GatewayHarness.start(options: SlapdOptions(offlineLDIF: Self.users(peopleDN: "ou=people,dc=example,dc=org")))
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let all = try await Self.list(client, "sortBy=userName&count=1000")
            #expect(all["totalResults"] == .integer(Int64(Self.userCount)))
            let names = all["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } ?? []
            #expect(names == names.sorted())
            #expect(names.count == Self.userCount)

            var paged: [String] = []
            var start = 1
            while start <= Self.userCount {
                let page = try await Self.list(client, "sortBy=userName&startIndex=\(start)&count=10")
                #expect(page["startIndex"] == .integer(Int64(start)))
                #expect(page["totalResults"] == .integer(Int64(Self.userCount)))
                let items = page["Resources"]?.arrayValue ?? []
                #expect(page["itemsPerPage"] == .integer(Int64(items.count)))
                paged += items.compactMap { $0["userName"]?.stringValue }
                start += 10
            }
            #expect(paged == names)

            let descending = try await Self.list(client, "sortBy=userName&sortOrder=descending&count=5")
            #expect(descending["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } == Array(names.reversed().prefix(5)))

            let byFamily = try await Self.list(client, "sortBy=name.familyName&count=1000&attributes=name.familyName")
            let families = byFamily["Resources"]?.arrayValue?.compactMap { $0["name"]?["familyName"]?.stringValue } ?? []
            #expect(families == families.sorted { $0.lowercased() < $1.lowercased() })
            #expect(byFamily["Resources"]?[0]?["userName"] == nil)  // attributes honoured in lists

            let countOnly = try await Self.list(client, "count=0")
            #expect(countOnly["totalResults"] == .integer(Int64(Self.userCount)))
            #expect(countOnly["Resources"]?.arrayValue?.isEmpty ?? true)

            let past = try await Self.list(client, "startIndex=500&count=10")
            #expect(past["totalResults"] == .integer(Int64(Self.userCount)))
            #expect(past["Resources"]?.arrayValue?.isEmpty ?? true)

            let defaulted = try await Self.list(client, "")
            #expect(defaulted["itemsPerPage"] == .integer(Int64(Self.userCount)))  // default page 100 > 57

            // A filter matching more than a page: the exact total still comes back.
            let filtered = try await Self.list(client, "filter=userName%20sw%20%22list%22&count=10")
            #expect(filtered["totalResults"] == .integer(Int64(Self.userCount)))
            #expect(filtered["itemsPerPage"] == .integer(10))
            let few = try await Self.list(client, "filter=userName%20eq%20%22list007%22&count=10")
            #expect(few["totalResults"] == .integer(1))
            #expect(few["Resources"]?[0]?["userName"]?.stringValue == "list007")

            let numericStrings = try await Self.list(client, "startIndex=0&count=-3")
            #expect(numericStrings["startIndex"] == .integer(1))  // RFC: < 1 is 1; negative count is 0
        }
    }

    @Test func concurrentSortedPagingNeverBusy() async throws {
        let harness = try await GatewayHarness.start(
            poolSize: 8, options: SlapdOptions(offlineLDIF: Self.users(peopleDN: "ou=people,dc=example,dc=org")))
        defer { harness.stop() }
        try await harness.application().test(.live) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/scim/v2/Users?sortBy=userName&startIndex=\(index % 50 + 1)&count=5",
                            method: .get, headers: GatewayHarness.auth)
                        return response.status
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses.count == 64)
                #expect(statuses.allSatisfy { $0 == .ok })
            }
        }
    }

    @Test func pageReflectsACommittedWrite() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let before = try await Self.list(client, "count=0")
            _ = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("fresh.write")))
            let after = try await Self.list(client, "count=0")
            #expect(after["totalResults"]?.int64Value == (before["totalResults"]?.int64Value ?? -1) + 1)
        }
    }
}
