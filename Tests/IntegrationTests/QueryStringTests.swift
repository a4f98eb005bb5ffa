import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SCIMCore
import SCIMServer
import SlapdHarness
import Testing

/// Query strings read as clients form-encode them: `+` is a space (Python's requests and httpx), `%2B` a plus.
@Suite("Query strings: + is a space")
struct QueryStringTests {
    @Test func decodesFormEncoding() {
        #expect(QueryString.decode(#"userName+eq+"bjensen""#) == #"userName eq "bjensen""#)
        #expect(QueryString.decode("userName%20eq%20%22bjensen%22") == #"userName eq "bjensen""#)
        #expect(QueryString.decode("a%2Bb+c") == "a+b c")
        #expect(QueryString.decode("%C3%A9t%C3%A9") == "été")
        #expect(QueryString.decode("100%") == "100%")
        #expect(QueryString.decode("%zz%4") == "%zz%4")
        let parameters = QueryString.dictionary(
            "filter=displayName+co+%22a+b%22&attributes=userName,name.givenName"
                + "&excludedAttributes=emails&sortBy=name.familyName&sort%4Frder=descending&count=5&empty=&flag")
        #expect(parameters["filter"] == #"displayName co "a b""#)
        #expect(parameters["attributes"] == "userName,name.givenName")
        #expect(parameters["excludedAttributes"] == "emails")
        #expect(parameters["sortBy"] == "name.familyName")
        #expect(parameters["sortOrder"] == "descending")
        #expect(parameters["count"] == "5")
        #expect(parameters["empty"] == "")
        #expect(parameters["flag"] == "")
        #expect(QueryString.dictionary(nil).isEmpty)
    }

    @Test func everyListParameterTakesPlusAsSpace() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            for (name, display) in [("bjensen", "Barbara Jensen"), ("jsmith", "John Smith"), ("ajones", "Ann Jones")] {
                let created = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(
                        userJSON(name, extra: #""displayName":"\#(display)","name":{"familyName":"\#(display.split(separator: " ")[1])"}"#)))
                #expect(created.status == .created)
            }
            // As requests/httpx send `params={"filter": 'userName eq "bjensen"'}`.
            let byName = try await client.execute(
                uri: "/scim/v2/Users?filter=userName+eq+%22bjensen%22", method: .get,
                headers: GatewayHarness.auth)
            #expect(byName.status == .ok, "\(byName.json?["detail"]?.stringValue ?? "")")
            #expect(byName.json?["totalResults"] == .integer(1))
            #expect(byName.json?["Resources"]?[0]?["userName"]?.stringValue == "bjensen")

            // Unencoded quotes with + (curl -G --data "filter=..."), a value with a space inside, the other
            // parameters with + around their separators.
            let spaced = try await client.execute(
                uri: #"/scim/v2/Users?filter=displayName+eq+"John+Smith"&attributes=userName,+displayName&excludedAttributes=name"#,
                method: .get, headers: GatewayHarness.auth)
            #expect(spaced.status == .ok, "\(spaced.json?["detail"]?.stringValue ?? "")")
            #expect(spaced.json?["totalResults"] == .integer(1))
            let smith = spaced.json?["Resources"]?[0]
            #expect(smith?["userName"]?.stringValue == "jsmith")
            #expect(smith?["displayName"]?.stringValue == "John Smith")
            #expect(smith?["name"] == nil)

            let sorted = try await client.execute(
                uri: "/scim/v2/Users?filter=userName+pr+and+not+(userName+eq+%22jsmith%22)&sortBy=+name.familyName&sortOrder=descending",
                method: .get, headers: GatewayHarness.auth)
            #expect(sorted.status == .ok, "\(sorted.json?["detail"]?.stringValue ?? "")")
            #expect(sorted.json?["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } == ["ajones", "bjensen"])

            // A literal plus sign is %2B.
            let plus = try await client.execute(
                uri: "/scim/v2/Users?filter=displayName+eq+%22John%2BSmith%22", method: .get,
                headers: GatewayHarness.auth)
            #expect(plus.json?["totalResults"] == .integer(0))

            // GET of one resource: attributes with + as well.
            let id = try #require(byName.json?["Resources"]?[0]?["id"]?.stringValue)
            let one = try await client.execute(
                uri: "/scim/v2/Users/\(id)?attributes=+displayName", method: .get,
                headers: GatewayHarness.auth)
            #expect(one.status == .ok)
            #expect(one.json?["displayName"]?.stringValue == "Barbara Jensen")
            #expect(one.json?["name"] == nil)
        }
    }
}
