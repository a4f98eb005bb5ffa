import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import OrderedCollections
import SCIMCore
import SlapdHarness
import Testing

@Suite("Users end to end: HTTP → gateway → real slapd, as the service account")
struct UsersEndToEndTests {
    @Test func createGetDeleteRoundTripThroughLDAP() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let body = userJSON(
                "bjensen",
                extra: """
                    "name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs",
                    "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"jörg@example.com","type":"home"}],
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984"},
                    "password":"Correct-Horse-42"
                    """)
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(body))
            #expect(created.status == .created)
            #expect(created.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            let resource = try #require(created.json)
            let id = try #require(resource["id"]?.stringValue)
            #expect(created.headers[.location] == "https://scim.example.test/scim/v2/Users/\(id)")
            #expect(created.headers[.eTag] == resource["meta"]?["version"]?.stringValue)
            #expect(resource["password"] == nil)
            #expect(resource["emails"]?.arrayValue?.count == 2)
            #expect(resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?["employeeNumber"]?.stringValue == "701984")

            let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(fetched.status == .ok)
            #expect(fetched.json == resource)

            // The entry LDAP clients see: inetOrgPerson plus our auxiliary class, mail mirrored, password hashed.
            let ldap = try await harness.ldap()
            let entries = try await ldap.search(
                base: harness.slapd.peopleDN, scope: .oneLevel, filter: .equal("entryUUID", id),
                attributes: ["objectClass", "uid", "mail", "userPassword", "scimEmail"])
            let entry = try #require(entries.entries.first)
            #expect(entry.dn.lowercased() == "uid=bjensen,\(harness.slapd.peopleDN)".lowercased())
            #expect(Set(entry.strings("objectClass").map { $0.lowercased() }).isSuperset(of: ["inetorgperson", "scimuser"]))
            #expect(entry.strings("mail") == ["bjensen@example.com"])
            #expect(entry.string("userPassword") == nil)  // the service account may set it, never read it
            #expect(try await harness.storedPassword(.equal("entryUUID", id))?.hasPrefix("{ARGON2}") == true)

            let projected = try await client.execute(
                uri: "/scim/v2/Users/\(id)?attributes=userName", method: .get,
                headers: GatewayHarness.auth)
            #expect(projected.json?["emails"] == nil)
            #expect(projected.json?["userName"]?.stringValue == "bjensen")
            #expect(projected.json?["id"]?.stringValue == id)

            let deleted = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: GatewayHarness.auth)
            #expect(deleted.status == .noContent)
            let gone = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(gone.status == .notFound)
            #expect(gone.json?["status"]?.stringValue == "404")
            let after = try await ldap.search(base: harness.slapd.peopleDN, filter: .equal("entryUUID", id), attributes: ["1.1"])
            #expect(after.entries.isEmpty)
        }
    }

    @Test func conditionalRequests() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("etag.user")))
            let id = try #require(created.json?["id"]?.stringValue)
            let etag = try #require(created.headers[.eTag])
            var headers = GatewayHarness.auth
            headers[.ifNoneMatch] = etag
            let notModified = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: headers)
            #expect(notModified.status == .notModified)
            headers = GatewayHarness.auth
            headers[.ifMatch] = "W/\"20000101000000.000000Z#000000#000#000000\""
            let stale = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: headers)
            #expect(stale.status == .preconditionFailed)
            headers[.ifMatch] = etag
            let fresh = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .delete, headers: headers)
            #expect(fresh.status == .noContent)
        }
    }

    @Test(arguments: [
        ("{not json", 400, "invalidSyntax"),
        (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#, 400, "invalidValue"),
        (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":42}"#, 400, "invalidValue"),
        (#"{"userName":"noschemas"}"#, 400, "invalidSyntax"),
        (String(repeating: "[", count: 200) + String(repeating: "]", count: 200), 400, "invalidSyntax"),
        (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"short.pw","password":"abc"}"#, 400, "invalidValue"),
        (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","favouriteColour":"red"}"#, 400, "invalidSyntax"),
        (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","emails":[{"value":42}]}"#, 400, "invalidValue"),
        (#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u","active":"perhaps"}"#, 400, "invalidValue"),
        (#"{"schemas":["urn:nope"],"userName":"u"}"#, 400, "invalidSyntax"),
    ])
    func badInputIsAScimError(body: String, status: Int, scimType: String) async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(body))
            #expect(Int(response.status.code) == status)
            #expect(response.headers[.contentType]?.hasPrefix("application/scim+json") == true)
            #expect(response.json?["scimType"]?.stringValue == scimType)
            #expect(response.json?["status"]?.stringValue == String(status))
        }
    }

    @Test func duplicateUserNameIsCaseInsensitiveConflict() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let first = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("Dup.User")))
            #expect(first.status == .created)
            for name in ["Dup.User", "dup.user", "DUP.USER"] {
                let again = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: jsonBody(userJSON(name)))
                #expect(again.status == .conflict)
                #expect(again.json?["scimType"]?.stringValue == "uniqueness")
            }
        }
    }

    @Test func duplicateExternalIdIsConflictButCaseMatters() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let first = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("ext.one", extra: #""externalId":"E-42""#)))
            #expect(first.status == .created)
            let duplicate = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("ext.two", extra: #""externalId":"E-42""#)))
            #expect(duplicate.status == .conflict)
            #expect(duplicate.json?["scimType"]?.stringValue == "uniqueness")
            // externalId is caseExact (RFC 7643): another case is another value
            let otherCase = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("ext.three", extra: #""externalId":"e-42""#)))
            #expect(otherCase.status == .created)
        }
    }

    @Test func hostileUserNamesAreStoredExactly() async throws {
        let harness = try await GatewayHarness.start()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            for name in ["a,b=c+d", "#lead", " space ", "x\\y", "*)(uid=*", "Jörg;<>\\\"", "nul\u{0}byte"] {
                let body = JSONValue.object(["schemas": .array([.string(SCIMURN.user)]), "userName": .string(name)])
                let response = try await client.execute(
                    uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                    body: ByteBuffer(bytes: body.encoded()))
                #expect(response.status == .created, "userName \(name)")
                guard let id = response.json?["id"]?.stringValue else { continue }
                let fetched = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
                #expect(fetched.json?["userName"]?.stringValue == name)
            }
        }
    }
}
