import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMApp
import SCIMCore
import LDAPClient
import SCIMLDAP
import SlapdHarness
import Testing

/// Lists on a directory the gateway did not set up: without the sssvlv overlay (paged walk in the directory's
/// order, exact totals, sortBy refused) and under slapd's default size limit of 500 for the service account
/// (400 tooMany or the right total, never a short one). Every search binds as the service account.
@Suite("Listing on a plain directory: no sssvlv, default size limits")
struct PlainListingTests {
    static let mapping = "Tests/IntegrationTests/Fixtures/plain-listing.yaml"
    static let unlimited = "size.soft=unlimited size.hard=unlimited size.pr=unlimited size.prtotal=unlimited"

    static func directory(users: Int, suffix: String = "dc=example,dc=org") -> String {
        var ldif = """
            dn: ou=People,\(suffix)
            objectClass: organizationalUnit
            ou: People

            dn: ou=Groups,\(suffix)
            objectClass: organizationalUnit
            ou: Groups


            """
        for index in 1...users {
            let uid = "p" + String(format: "%03d", index)
            ldif +=
                "dn: uid=\(uid),ou=People,\(suffix)\nobjectClass: inetOrgPerson\nuid: \(uid)\ncn: Plain \(index)\n"
                + "sn: Person\(index % 7)\ndisplayName: Plain \(index)\n\n"
        }
        return ldif
    }

    static func start(users: Int, overlays: Set<PlainDirectory.Overlay> = [], limits: String? = nil) async throws
        -> GatewayHarness
    {
        try await GatewayHarness.start(
            options: SlapdOptions(offlineLDIF: directory(users: users), plain: PlainDirectory(overlays: overlays, serviceLimits: limits)),
            mapping: mapping)
    }

    static func get(_ client: some TestClientProtocol, _ query: String) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
        let response = try await client.execute(uri: "/scim/v2/Users?\(query)", method: .get, headers: GatewayHarness.auth)
        return (response.status, response.json ?? .null)
    }

    static func names(_ json: JSONValue) -> [String] {
        json["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } ?? []
    }

    static func sortSupported(_ client: some TestClientProtocol) async throws -> JSONValue? {
        let config = try await client.execute(uri: "/scim/v2/ServiceProviderConfig", method: .get, headers: GatewayHarness.auth)
        return config.json?["sort"]?["supported"]
    }

    @Test func withoutSortOverlayListsArePagedInDirectoryOrder() async throws {
        let harness = try await Self.start(users: 57)
        defer { harness.stop() }
        let capabilities = try await harness.gateway.detectCapabilities()
        #expect(capabilities.listing == .pagedWalk)
        #expect(capabilities.pagedResults && !capabilities.serverSideSort && !capabilities.virtualListView && !capabilities.sorting)
        #expect(await harness.gateway.store.probeSizeLimits(capabilities).isEmpty)
        try await harness.application().test(.router) { client in
            #expect(try await Self.sortSupported(client) == .bool(false))

            let all = try await Self.get(client, "count=1000")
            #expect(all.status == .ok, "\(all.json["detail"]?.stringValue ?? "")")
            #expect(all.json["totalResults"] == .integer(57))
            let names = Self.names(all.json)
            #expect(names.count == 57)
            #expect(Set(names) == Set((1...57).map { "p" + String(format: "%03d", $0) }))
            let ids = all.json["Resources"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(Set(ids).count == 57)

            // Windows by startIndex/count concatenate to the same order.
            var paged: [String] = []
            for start in stride(from: 1, through: 57, by: 10) {
                let page = try await Self.get(client, "startIndex=\(start)&count=10")
                #expect(page.status == .ok)
                #expect(page.json["totalResults"] == .integer(57))
                #expect(page.json["startIndex"] == .integer(Int64(start)))
                #expect(page.json["itemsPerPage"] == .integer(start == 51 ? 7 : 10))
                paged += Self.names(page.json)
            }
            #expect(paged == names)
            let middle = try await Self.get(client, "startIndex=23&count=4")
            #expect(Self.names(middle.json) == Array(names[22..<26]))

            for past in [58, 500] {
                let empty = try await Self.get(client, "startIndex=\(past)&count=10")
                #expect(empty.status == .ok)
                #expect(empty.json["totalResults"] == .integer(57))
                #expect(Self.names(empty.json).isEmpty)
            }
            let countOnly = try await Self.get(client, "count=0")
            #expect(countOnly.json["totalResults"] == .integer(57))
            #expect(Self.names(countOnly.json).isEmpty)

            // A filter: "Plain 1" and "Plain 10" … "Plain 19"; the second page comes from the walk.
            let filtered = try await Self.get(client, "filter=displayName+sw+%22Plain+1%22&startIndex=2&count=5")
            #expect(filtered.json["totalResults"] == .integer(11))
            #expect(Self.names(filtered.json).count == 5)
            let firstPage = try await Self.get(client, "filter=displayName+sw+%22Plain+1%22")
            #expect(firstPage.json["totalResults"] == .integer(11))
            #expect(Array(Self.names(firstPage.json).dropFirst().prefix(5)) == Self.names(filtered.json))

            // sortBy is refused, never sorted in memory.
            let sorted = try await Self.get(client, "sortBy=userName")
            #expect(sorted.status == .badRequest)
            #expect(sorted.json["scimType"] == .string("invalidValue"))
            #expect(sorted.json["detail"]?.stringValue?.contains("sssvlv") == true)
            let searched = try await client.execute(
                uri: "/scim/v2/Users/.search", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"sortBy":"displayName","count":5}"#))
            #expect(searched.status == .badRequest)
            #expect(searched.json?["scimType"] == .string("invalidValue"))
        }
    }

    @Test func defaultSizeLimitWithoutSortOverlayIsTooManyNeverAShortTotal() async throws {
        let harness = try await Self.start(users: 510)
        defer { harness.stop() }
        let capabilities = try await harness.gateway.detectCapabilities()
        #expect(capabilities.listing == .pagedWalk)
        let findings = await harness.gateway.store.probeSizeLimits(capabilities)
        #expect(findings == [.init(resourceType: "User", limit: 500, paged: false)])
        try await harness.application().test(.router) { client in
            for query in ["count=10", "count=1000", "count=0", "startIndex=505&count=10", "filter=userName+pr"] {
                let answer = try await Self.get(client, query)
                #expect(answer.status == .badRequest, "\(query): \(answer.json["totalResults"] ?? .null)")
                #expect(answer.json["totalResults"] == nil, "\(query)")
                #expect(answer.json["scimType"] == .string("tooMany"), "\(query)")
                let detail = answer.json["detail"]?.stringValue ?? ""
                #expect(detail.contains("olcLimits") && detail.contains("size.prtotal"), "\(query): \(detail)")
                #expect(!detail.localizedCaseInsensitiveContains("size limit exceeded"), "no LDAP diagnostic: \(detail)")
            }
            // Lists under the limit are exact.
            let one = try await Self.get(client, "filter=userName+eq+%22p007%22")
            #expect(one.status == .ok)
            #expect(one.json["totalResults"] == .integer(1))
            let few = try await Self.get(client, "filter=userName+sw+%22p00%22&startIndex=3&count=2")
            #expect(few.status == .ok)
            #expect(few.json["totalResults"] == .integer(9))
            #expect(Self.names(few.json).count == 2)
        }
    }

    @Test func defaultSizeLimitWithSortOverlayHasTheRightTotalOrTooMany() async throws {
        let harness = try await Self.start(users: 510, overlays: [.sssvlv])
        defer { harness.stop() }
        let capabilities = try await harness.gateway.detectCapabilities()
        #expect(capabilities.listing == .sortedWindow)
        #expect(capabilities.sorting)
        #expect(await harness.gateway.store.probeSizeLimits(capabilities) == [.init(resourceType: "User", limit: 500, paged: false)])
        try await harness.application().test(.router) { client in
            #expect(try await Self.sortSupported(client) == .bool(true))
            let page = try await Self.get(client, "count=10")
            #expect(page.status == .ok)
            #expect(page.json["totalResults"] == .integer(510))
            let tail = try await Self.get(client, "sortBy=userName&startIndex=501&count=20")
            #expect(tail.status == .ok)
            #expect(tail.json["totalResults"] == .integer(510))
            #expect(Self.names(tail.json) == (501...510).map { "p" + String(format: "%03d", $0) })
            // A window larger than the limit: slapd stops at 500 entries (result 4); this was totalResults 500.
            let big = try await Self.get(client, "count=1000")
            #expect(big.status == .badRequest, "\(big.json["totalResults"] ?? .null)")
            #expect(big.json["scimType"] == .string("tooMany"))
            #expect(big.json["totalResults"] == nil)
        }
    }

    @Test func liftedLimitsWithoutSortOverlayCountExactly() async throws {
        let harness = try await Self.start(users: 510, limits: Self.unlimited)
        defer { harness.stop() }
        let capabilities = try await harness.gateway.detectCapabilities()
        #expect(capabilities.listing == .pagedWalk)
        #expect(await harness.gateway.store.probeSizeLimits(capabilities).isEmpty)
        try await harness.application().test(.router) { client in
            let all = try await Self.get(client, "count=1000")
            #expect(all.status == .ok, "\(all.json["detail"]?.stringValue ?? "")")
            #expect(all.json["totalResults"] == .integer(510))
            let names = Self.names(all.json)
            #expect(names.count == 510)
            #expect(Set(names).count == 510)
            let tail = try await Self.get(client, "startIndex=505&count=10")
            #expect(tail.json["totalResults"] == .integer(510))
            #expect(Self.names(tail.json) == Array(names.suffix(6)))
            let countOnly = try await Self.get(client, "count=0")
            #expect(countOnly.json["totalResults"] == .integer(510))
        }
    }

    @Test func capabilitiesFromTheRootDSE() {
        let none = DirectoryCapabilities(supportedControls: [])
        #expect(none.listing == nil)
        #expect(none.missing.count == 2)
        let paged = DirectoryCapabilities(supportedControls: [LDAPControlOIDs.paged])
        #expect(paged.listing == .pagedWalk && !paged.sorting)
        #expect(paged.missing.count == 1 && paged.missing[0].contains("sssvlv"))
        let sortOnly = DirectoryCapabilities(supportedControls: [LDAPControlOIDs.paged, LDAPControlOIDs.sort])
        #expect(sortOnly.listing == .pagedWalk)
        let full = DirectoryCapabilities(supportedControls: [LDAPControlOIDs.paged, LDAPControlOIDs.sort, LDAPControlOIDs.vlv])
        #expect(full.listing == .sortedWindow && full.sorting && full.missing.isEmpty)
        let vlvOnly = DirectoryCapabilities(supportedControls: [LDAPControlOIDs.sort, LDAPControlOIDs.vlv])
        #expect(vlvOnly.listing == .sortedWindow)
        #expect(vlvOnly.missing.count == 1)
    }
}

/// The OIDs spelled out, so the test does not trust the constants it checks.
enum LDAPControlOIDs {
    static let paged = "1.2.840.113556.1.4.319"
    static let sort = "1.2.840.113556.1.4.473"
    static let vlv = "2.16.840.1.113730.3.4.9"
}
