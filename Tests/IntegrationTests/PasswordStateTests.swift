import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMApp
import SCIMCore
@testable import SCIMLDAP
import SlapdHarness
import Testing

/// ppolicy's password state on User (`passwordState`), produced by real binds against slapd and read through SCIM.
@Suite("Password state from ppolicy")
struct PasswordStateTests {
    static let urn = "urn:scim-gateway:params:scim:schemas:extension:ppolicy:2.0:User"

    /// The bundled mapping with the password state shown (`passwordPolicy.state: true`, off in the bundled file),
    /// plus `extra` lines in the `passwordPolicy:` block, written to a temporary file.
    static func mapping(extra: String = "") throws -> URL {
        let bundled = try String(contentsOf: GatewayHarness.repository.appendingPathComponent("Config/mapping/bundled.yaml"), encoding: .utf8)
        let shown = bundled.replacingOccurrences(of: "      state: false\n", with: "      state: true\n" + extra)
        guard shown != bundled else { throw MappingEditError() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pwstate-\(UUID().uuidString).yaml")
        try shown.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    struct MappingEditError: Error {}

    /// A gateway on the bundled mapping with the password state shown.
    static func harness(configure: (inout GatewayConfig) throws -> Void = { _ in }) async throws -> GatewayHarness {
        let file = try mapping()
        defer { try? FileManager.default.removeItem(at: file) }
        return try await GatewayHarness.start(mapping: file.path, configure: configure)
    }

    /// The default policy changed as the directory's admin (the service account may only read it).
    static func setPolicy(_ harness: GatewayHarness, _ changes: [LDAPModification]) async throws {
        let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
        _ = try await admin.modify(dn: "cn=default,ou=policies,\(harness.slapd.suffix)", changes)
        harness.gateway.store.passwordPolicyCache.clear()
    }

    static func create(_ client: some TestClientProtocol, _ userName: String, password: String) async throws -> String {
        let created = try await client.execute(
            uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
            body: jsonBody(userJSON(userName, extra: #""password":"\#(password)""#)))
        #expect(created.status == .created, "\(String(buffer: created.body))")
        return try #require(created.json?["id"]?.stringValue)
    }

    static func state(_ client: some TestClientProtocol, _ id: String) async throws -> JSONValue? {
        let attributes = "\(urn):passwordState".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let response = try await client.execute(
            uri: "/scim/v2/Users/\(id)?attributes=\(attributes)", method: .get,
            headers: GatewayHarness.auth)
        #expect(response.status == .ok)
        #expect(response.json?["schemas"]?.arrayValue?.contains(.string(urn)) == true)
        return response.json?[urn]?["passwordState"]
    }

    /// The ids of the users `filter` finds.
    static func find(_ client: some TestClientProtocol, _ filter: String) async throws -> (
        status: HTTPResponse.Status, ids: Set<String>, body: JSONValue?
    ) {
        let query = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let response = try await client.execute(uri: "/scim/v2/Users?filter=\(query)&count=50", method: .get, headers: GatewayHarness.auth)
        let ids = Set((response.json?["Resources"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        return (response.status, ids, response.json)
    }

    static func dn(_ harness: GatewayHarness, _ userName: String) -> String { "uid=\(userName),\(harness.slapd.peopleDN)" }

    static func count(_ value: JSONValue?) -> Int64 {
        if case .integer(let number)? = value { return number }
        return -1
    }

    static func date(_ value: JSONValue?) -> Date? { value?.stringValue.flatMap { SCIMDateTime.parse($0) } }

    @Test func failedBindsCountAndLockTemporarily() async throws {
        let harness = try await Self.harness()
        defer { harness.stop() }
        try await Self.setPolicy(harness, [.replace("pwdMaxFailure", ["3"]), .replace("pwdLockoutDuration", ["600"])])
        try await harness.application().test(.router) { client in
            let id = try await Self.create(client, "lock.me", password: "Good-Pass-1")
            let other = try await Self.create(client, "free.user", password: "Good-Pass-2")
            let off = try await Self.create(client, "off.user", password: "Good-Pass-3")

            // Returned by default (the draft's `returned: default`), and `schemas` lists the extension then.
            let plain = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(plain.json?[Self.urn]?["passwordState"]?["locked"] == .bool(false))
            #expect(plain.json?["schemas"]?.arrayValue?.contains(.string(Self.urn)) == true)
            // Left out when `attributes` names other attributes only, and `schemas` does not claim it then.
            let narrow = try await client.execute(uri: "/scim/v2/Users/\(id)?attributes=userName", method: .get, headers: GatewayHarness.auth)
            #expect(narrow.json?["userName"] == .string("lock.me"))
            #expect(narrow.json?[Self.urn] == nil)
            #expect(narrow.json?["schemas"]?.arrayValue?.contains(.string(Self.urn)) == false)
            let excluded = try await client.execute(
                uri: "/scim/v2/Users/\(id)?excludedAttributes=\(Self.urn)", method: .get,
                headers: GatewayHarness.auth)
            #expect(excluded.status == .ok)
            #expect(excluded.json?[Self.urn] == nil)
            #expect(excluded.json?["userName"] == .string("lock.me"))

            var state = try #require(try await Self.state(client, id))
            #expect(state["failedAttempts"] == .integer(0))
            #expect(state["locked"] == .bool(false))
            #expect(state["mustChange"] == .bool(false))
            #expect(state["expired"] == .bool(false))
            #expect(state["expiresDateTime"] == nil)
            #expect(state["cantChange"] == .bool(false))
            #expect(state["policy"]?.stringValue?.isEmpty == false)
            let setAt = try #require(Self.date(state["lastSetDateTime"]))
            #expect(abs(setAt.timeIntervalSinceNow) < 60)

            // One wrong password: one failure, not locked.
            #expect(try await !PasswordStorageTests.binds(harness, Self.dn(harness, "lock.me"), "wrong-1"))
            state = try #require(try await Self.state(client, id))
            #expect(state["failedAttempts"] == .integer(1))
            #expect(Self.date(state["lastFailedDateTime"]) != nil)
            #expect(state["locked"] == .bool(false))
            #expect(try await Self.find(client, "\(Self.urn):passwordState.locked eq true").ids.isEmpty)

            // Two more: pwdMaxFailure reached, locked for pwdLockoutDuration; even the right password fails.
            for attempt in 2...3 {
                #expect(try await !PasswordStorageTests.binds(harness, Self.dn(harness, "lock.me"), "wrong-\(attempt)"))
            }
            #expect(try await !PasswordStorageTests.binds(harness, Self.dn(harness, "lock.me"), "Good-Pass-1"))
            state = try #require(try await Self.state(client, id))
            #expect(state["locked"] == .bool(true))
            #expect(Self.count(state["failedAttempts"]) >= 3)
            let until = try #require(Self.date(state["lockedUntil"]))
            #expect(until.timeIntervalSinceNow > 500 && until.timeIntervalSinceNow <= 600)

            // The administrative lock (active=false) is not a temporary lock.
            let deactivated = try await client.execute(
                uri: "/scim/v2/Users/\(off)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#))
            #expect(deactivated.status == .ok)
            #expect(try await Self.state(client, off)?["locked"] == .bool(false))

            let locked = try await Self.find(client, "\(Self.urn):passwordState.locked eq true")
            #expect(locked.status == .ok)
            #expect(locked.ids == [id])
            let unlocked = try await Self.find(
                client, "urn:scim-gateway:params:scim:schemas:extension:ppolicy:2.0:User:passwordState.locked eq false and userName sw \"o\"")
            #expect(unlocked.ids == [off])
            let failing = try await Self.find(client, "\(Self.urn):passwordState.locked ne false or userName eq \"free.user\"")
            #expect(failing.ids == [id, other])

            // Filters the directory cannot answer exactly are refused, naming the attribute.
            for filter in [
                "\(Self.urn):passwordState.failedAttempts gt 1", "\(Self.urn):passwordState.lockedUntil pr",
                "\(Self.urn):passwordState.locked eq \"yes\"",
            ] {
                let refused = try await Self.find(client, filter)
                #expect(refused.status == .badRequest, "\(filter)")
                #expect(refused.body?["scimType"]?.stringValue == "invalidFilter")
                #expect(refused.body?["detail"]?.stringValue?.contains("passwordState") == true)
            }

            // Read-only: a PUT carrying it changes nothing, a PATCH of it is refused.
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .put, headers: GatewayHarness.auth,
                body: jsonBody(
                    userJSON("lock.me", extra: #""title":"T","\#(Self.urn)":{"passwordState":{"locked":false,"failedAttempts":0}}"#)))
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            #expect(try await Self.state(client, id)?["locked"] == .bool(true))
            let patched = try await client.execute(
                uri: "/scim/v2/Users/\(id)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"\#(Self.urn):passwordState.locked","value":false}]}"#
                ))
            #expect(patched.status == .badRequest)
            #expect(patched.json?["scimType"]?.stringValue == "mutability")
            #expect(try await Self.state(client, id)?["locked"] == .bool(true))
        }
    }

    @Test func resetByAnAdministratorMustBeChanged() async throws {
        let harness = try await Self.harness()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let id = try await Self.create(client, "new.hire", password: "First-Pass-1")
            let before = try await Self.create(client, "old.hand", password: "First-Pass-2")
            #expect(try await Self.state(client, id)?["mustChange"] == .bool(false))
            // A directory administrator's reset (slapd sets pwdReset itself only for its own password administrators).
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            for userName in ["new.hire", "old.hand"] {
                _ = try await admin.modify(dn: Self.dn(harness, userName), [.replace("pwdReset", ["TRUE"])])
            }
            #expect(try await Self.state(client, id)?["mustChange"] == .bool(true))
            #expect(try await Self.state(client, before)?["mustChange"] == .bool(true))
            // The user changes it (ppolicy clears pwdReset).
            var configuration = harness.slapd.serviceConfiguration(poolSize: 1)
            configuration.bind = .simple(dn: Self.dn(harness, "old.hand"), password: LDAPSecret("First-Pass-2"))
            let user = try await LDAPConnection.connect(configuration)
            _ = try await user.passwordModify(user: nil, oldPassword: LDAPSecret("First-Pass-2"), newPassword: LDAPSecret("Own-Pass-22"))
            #expect(try await Self.state(client, before)?["mustChange"] == .bool(false))
            let must = try await Self.find(client, "\(Self.urn):passwordState.mustChange eq true")
            #expect(must.status == .ok)
            #expect(must.ids == [id])
            let mayStay = try await Self.find(client, "\(Self.urn):passwordState.mustChange eq false")
            #expect(mayStay.ids == [before])
        }
    }

    @Test func maximumAgeExpiresAndGraceLoginsCount() async throws {
        let harness = try await Self.harness()
        defer { harness.stop() }
        try await Self.setPolicy(harness, [.replace("pwdMaxAge", ["3"]), .replace("pwdGraceAuthNLimit", ["2"])])
        try await harness.application().test(.router) { client in
            let id = try await Self.create(client, "aging.user", password: "Aging-Pass-1")
            var state = try #require(try await Self.state(client, id))
            let setAt = try #require(Self.date(state["lastSetDateTime"]))
            #expect(Self.date(state["expiresDateTime"]) == setAt.addingTimeInterval(3))
            #expect(state["expired"] == .bool(false))
            #expect(state["graceLoginsRemaining"] == .integer(2))
            #expect(try await Self.find(client, "\(Self.urn):passwordState.expired eq true").ids.isEmpty)
            let fresh = try await Self.find(client, "\(Self.urn):passwordState.lastSetDateTime ge \"2000-01-01T00:00:00Z\"")
            #expect(fresh.ids == [id])

            try await Task.sleep(for: .seconds(4))
            state = try #require(try await Self.state(client, id))
            #expect(state["expired"] == .bool(true))
            #expect(try await Self.find(client, "\(Self.urn):passwordState.expired eq true").ids == [id])
            #expect(try await Self.find(client, "\(Self.urn):passwordState.expired eq false").ids.isEmpty)
            // A bind with the expired password uses a grace login.
            #expect(try await PasswordStorageTests.binds(harness, Self.dn(harness, "aging.user"), "Aging-Pass-1"))
            #expect(try await Self.state(client, id)?["graceLoginsRemaining"] == .integer(1))
        }
    }

    @Test func discoveryAdvertisesItOnlyWhenTheMappingEnablesIt() async throws {
        let harness = try await Self.harness()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let schema = try await client.execute(uri: "/scim/v2/Schemas/\(Self.urn)", method: .get, headers: GatewayHarness.auth)
            #expect(schema.status == .ok)
            let state = schema.json?["attributes"]?.arrayValue?.first { $0["name"]?.stringValue == "passwordState" }
            #expect(state?["mutability"]?.stringValue == "readOnly")
            #expect(state?["returned"]?.stringValue == "default")
            #expect(state?["required"] == .bool(true))
            #expect(state?["subAttributes"]?.arrayValue?.allSatisfy { $0["mutability"]?.stringValue == "readOnly" } == true)
            // Declared on User but not required of clients: they cannot send a readOnly-only extension (scim2-client
            // refuses to create a resource lacking a required one); the server shows it on every user anyway.
            let type = try await client.execute(uri: "/scim/v2/ResourceTypes/User", method: .get, headers: GatewayHarness.auth)
            let declared = type.json?["schemaExtensions"]?.arrayValue?.first { $0["schema"]?.stringValue == Self.urn }
            #expect(declared?["required"] == .bool(false))
        }
        // The bundled mapping as it ships (`state: false`): neither the schema nor the extension, while the
        // actions stay.
        let plain = try await GatewayHarness.start()
        defer { plain.stop() }
        try await plain.application().test(.router) { client in
            let schema = try await client.execute(uri: "/scim/v2/Schemas/\(Self.urn)", method: .get, headers: GatewayHarness.auth)
            #expect(schema.status == .notFound)
            let type = try await client.execute(uri: "/scim/v2/ResourceTypes/User", method: .get, headers: GatewayHarness.auth)
            #expect(type.json?["schemaExtensions"]?.arrayValue?.contains { $0["schema"]?.stringValue == Self.urn } == false)
            let refused = try await Self.find(client, "\(Self.urn):passwordState.locked eq true")
            #expect(refused.status == .badRequest)
            let id = try await Self.create(client, "no.state", password: "No-State-1")
            let user = try await client.execute(uri: "/scim/v2/Users/\(id)", method: .get, headers: GatewayHarness.auth)
            #expect(user.status == .ok)
            #expect(user.json?[Self.urn] == nil)
            #expect(user.json?["schemas"]?.arrayValue?.contains(.string(Self.urn)) == false)
            let unlock = try await client.execute(
                uri: "/scim/v2/Users/\(id)/unlock", method: .post, headers: GatewayHarness.auth, body: jsonBody("{}"))
            #expect(unlock.status == .noContent, "\(String(buffer: unlock.body))")
        }
    }

    /// The extension is required and server-computed: clients that never send it (Entra ID, Okta) create and replace
    /// users as before, and read-only values a client does send are ignored (RFC 7643 §7).
    @Test func clientsNeitherSendNorSetIt() async throws {
        let harness = try await Self.harness()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            // A plain user, no password: the state shows what the directory knows (nothing set, nothing failed).
            let plain = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("plain.user")))
            #expect(plain.status == .created, "\(String(buffer: plain.body))")
            let state = try #require(plain.json?[Self.urn]?["passwordState"])
            #expect(state["mustChange"] == .bool(false))
            #expect(state["locked"] == .bool(false))
            #expect(state["failedAttempts"] == .integer(0))
            #expect(state["lastSetDateTime"] == nil)
            #expect(plain.json?["schemas"]?.arrayValue?.contains(.string(Self.urn)) == true)
            let plainID = try #require(plain.json?["id"]?.stringValue)

            // Forged state in a create is dropped, with or without the URN in `schemas`.
            let forged =
                #""\#(Self.urn)":{"passwordState":{"mustChange":true,"locked":true,"failedAttempts":7,"#
                + #""lastSetDateTime":"2001-01-01T00:00:00Z","policy":"x"}}"#
            for (index, schemas) in [
                #"["urn:ietf:params:scim:schemas:core:2.0:User"]"#,
                #"["urn:ietf:params:scim:schemas:core:2.0:User","\#(Self.urn)"]"#,
            ].enumerated() {
                let body = #"{"schemas":\#(schemas),"userName":"forged.\#(index)","password":"Forged-Pass-1",\#(forged)}"#
                let created = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth, body: jsonBody(body))
                #expect(created.status == .created, "\(String(buffer: created.body))")
                let shown = try #require(created.json?[Self.urn]?["passwordState"])
                #expect(shown["mustChange"] == .bool(false))
                #expect(shown["locked"] == .bool(false))
                #expect(shown["failedAttempts"] == .integer(0))
                #expect(shown["policy"]?.stringValue != "x")
                let setAt = try #require(Self.date(shown["lastSetDateTime"]))
                #expect(abs(setAt.timeIntervalSinceNow) < 60)
            }
            // Nothing of it reached the directory.
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            let entry = try await admin.search(
                base: Self.dn(harness, "forged.0"), scope: .base, filter: .present("objectClass"),
                attributes: ["pwdReset", "pwdAccountLockedTime", "pwdFailureTime"]
            ).entries.first
            #expect(entry != nil)
            #expect(entry?.string("pwdReset") == nil)
            #expect(entry?.strings("pwdAccountLockedTime").isEmpty == true)
            #expect(entry?.strings("pwdFailureTime").isEmpty == true)

            // A PUT without the extension is accepted and leaves the state as it was.
            let put = try await client.execute(
                uri: "/scim/v2/Users/\(plainID)", method: .put, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("plain.user", extra: #""title":"Replaced""#)))
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            #expect(put.json?["title"] == .string("Replaced"))
            #expect(put.json?[Self.urn]?["passwordState"]?["locked"] == .bool(false))

            // PATCH at the extension root, as generic testers send it: adding nothing or removing the server's values
            // changes nothing and the state stays shown; a value for it is refused.
            for (operation, status) in [
                (#"{"op":"add","path":"\#(Self.urn)","value":{"schemas":["\#(Self.urn)"]}}"#, HTTPResponse.Status.ok),
                (#"{"op":"replace","path":"\#(Self.urn)","value":{"passwordState":{"locked":true}}}"#, .badRequest),
                (#"{"op":"remove","path":"\#(Self.urn)"}"#, .ok),
            ] {
                let patched = try await client.execute(
                    uri: "/scim/v2/Users/\(plainID)", method: .patch, headers: GatewayHarness.auth,
                    body: jsonBody(
                        #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operation)]}"#))
                #expect(patched.status == status, "\(operation): \(String(buffer: patched.body))")
                if status == .ok {
                    #expect(patched.json?[Self.urn]?["passwordState"]?["locked"] == .bool(false), "\(operation)")
                } else {
                    #expect(patched.json?["scimType"]?.stringValue == "mutability")
                }
            }
            #expect(try await Self.state(client, plainID)?["locked"] == .bool(false))

            // Lists show it for every user.
            let listed = try await Self.find(client, "userName sw \"forged.\"")
            #expect(listed.ids.count == 2)
            #expect(listed.body?["Resources"]?.arrayValue?.allSatisfy { $0[Self.urn]?["passwordState"]?["mustChange"] == .bool(false) } == true)
        }
    }

    /// sortBy `lastSetDateTime` is the directory's own order of `pwdChangedTime` (server-side sort); the other
    /// state values are computed and refused with 400 invalidValue.
    @Test func sortsByLastSetOnly() async throws {
        let harness = try await Self.harness()
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let first = try await Self.create(client, "sort.b", password: "Sort-Pass-11")
            try await Task.sleep(for: .milliseconds(1100))  // pwdChangedTime counts whole seconds
            let second = try await Self.create(client, "sort.a", password: "Sort-Pass-22")
            let sortBy = "\(Self.urn):passwordState.lastSetDateTime".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let filter = "userName sw \"sort.\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            for (order, expected) in [("ascending", [first, second]), ("descending", [second, first])] {
                let response = try await client.execute(
                    uri: "/scim/v2/Users?filter=\(filter)&sortBy=\(sortBy)&sortOrder=\(order)",
                    method: .get, headers: GatewayHarness.auth)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(response.json?["Resources"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == expected, "\(order)")
            }
            for sub in ["locked", "failedAttempts", "expiresDateTime", "lastFailedDateTime"] {
                let key = "\(Self.urn):passwordState.\(sub)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let refused = try await client.execute(uri: "/scim/v2/Users?sortBy=\(key)", method: .get, headers: GatewayHarness.auth)
                #expect(refused.status == .badRequest, "\(sub)")
                #expect(refused.json?["scimType"]?.stringValue == "invalidValue")
                #expect(refused.json?["detail"]?.stringValue?.contains("lastSetDateTime") == true)
            }
        }
    }
}
