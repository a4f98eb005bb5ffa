import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import OrderedCollections
import SCIMCore
import SlapdHarness
import Testing

/// A directory the gateway did not create: plain LDIF with the standard schemas only (no bundled schema or
/// overlays but sssvlv), served through `Config/mapping/standard.yaml`. Entries named by other RDNs, several
/// `cn` and `mail` values, non-ASCII and binary values, nested OUs, members outside the bases, unreadable by the
/// service account, or dangling. Every write is checked against a rootDN read of the whole directory before and
/// after: it changed exactly what it targeted, byte for byte.
@Suite("Existing directory: writes touch only what they target")
struct ExistingDirectoryTests {
    static let ldif =
        (try? String(
            contentsOf: GatewayHarness.repository
                .appendingPathComponent("Tests/IntegrationTests/Fixtures/existing-directory.ldif"), encoding: .utf8)) ?? ""

    static func options() -> SlapdOptions {
        SlapdOptions(
            offlineLDIF: ldif,
            plain: PlainDirectory(
                overlays: [.sssvlv],
                serviceLimits: "size.soft=unlimited size.hard=unlimited size.pr=unlimited size.prtotal=unlimited",
                // The service account cannot read ou=Hidden (members there are invisible to SCIM).
                extraAccess: ["to dn.subtree=\"ou=Hidden,dc=example,dc=org\" by dn.exact=\"cn=scim-gateway,dc=example,dc=org\" none by * break"]))
    }

    static let patchOp = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":["#

    struct Client {
        let client: any TestClientProtocol
        func get(_ uri: String) async throws -> JSONValue {
            let response = try await client.execute(uri: uri, method: .get, headers: GatewayHarness.auth)
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
            return try #require(response.json)
        }
        func one(_ type: String, _ filter: String) async throws -> JSONValue {
            let page = try await get(filterURI(type, filter))
            #expect(page["totalResults"] == .integer(1), "\(filter): \(page)")
            return try #require(page["Resources"]?[0])
        }
        func patch(_ type: String, _ id: String, _ operations: String) async throws -> JSONValue? {
            let response = try await client.execute(
                uri: "/scim/v2/\(type)/\(id)", method: .patch, headers: GatewayHarness.auth,
                body: jsonBody(ExistingDirectoryTests.patchOp + operations + "]}"))
            #expect(response.status == .ok, "PATCH \(operations): \(String(buffer: response.body))")
            return response.json
        }
        func put(_ type: String, _ id: String, _ body: JSONValue) async throws -> JSONValue? {
            let response = try await client.execute(
                uri: "/scim/v2/\(type)/\(id)", method: .put, headers: GatewayHarness.auth,
                body: ByteBuffer(bytes: body.jsonBytes()))
            #expect(response.status == .ok, "PUT: \(String(buffer: response.body))")
            return response.json
        }
    }

    /// Runs `write` and returns what it changed in the directory.
    static func changes(_ harness: GatewayHarness, _ write: () async throws -> Void) async throws -> [String] {
        let before = try await DirectorySnapshot.read(harness.slapd)
        try await write()
        return before.changes(to: try await DirectorySnapshot.read(harness.slapd))
    }

    /// Strips what a client never sends back (meta) so a resource can be PUT as returned.
    static func asReturned(_ resource: JSONValue) -> JSONValue {
        var fields = resource.objectValue ?? [:]
        fields.removeValue(forKey: "meta")
        return .object(fields)
    }

    static func setting(_ key: String, _ value: JSONValue, in resource: JSONValue) -> JSONValue {
        var fields = resource.objectValue ?? [:]
        fields[key] = value
        return .object(fields)
    }

    @Test func putAsReturnedChangesNothingAnywhere() async throws {
        let harness = try await GatewayHarness.start(options: Self.options(), mapping: "Config/mapping/standard.yaml")
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let scim = Client(client: client)
            let users = try await scim.get("/scim/v2/Users?count=100")
            // Nested OUs are served; ou=Alumni and ou=Hidden are not users.
            #expect(Set(users["Resources"]?.arrayValue?.compactMap { $0["userName"]?.stringValue } ?? []) == ["jdoe", "jsmith", "jane", "ana"])
            let groups = try await scim.get("/scim/v2/Groups")
            // staff, admins, and alumni-club, whose only member SCIM cannot see (it shows no members).
            #expect(groups["totalResults"] == .integer(3))
            let changed = try await Self.changes(harness) {
                for resource in users["Resources"]?.arrayValue ?? [] {
                    _ = try await scim.put("Users", try #require(resource["id"]?.stringValue), Self.asReturned(resource))
                }
                for resource in groups["Resources"]?.arrayValue ?? [] {
                    _ = try await scim.put("Groups", try #require(resource["id"]?.stringValue), Self.asReturned(resource))
                }
            }
            #expect(changed == [])
        }
    }

    @Test func usersKeepTheirNamesAndTheValuesSCIMCannotShow() async throws {
        let harness = try await GatewayHarness.start(options: Self.options(), mapping: "Config/mapping/standard.yaml")
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let scim = Client(client: client)
            let jdoe = try await scim.one("Users", #"userName eq "jdoe""#)
            let jdoeID = try #require(jdoe["id"]?.stringValue)
            #expect(jdoe["name"]?["formatted"]?.stringValue == "John Doe")
            #expect(jdoe["emails"]?.arrayValue?.count == 3)

            // displayName: one value changes, the three cn values stay.
            var changed = try await Self.changes(harness) {
                _ = try await scim.patch("Users", jdoeID, #"{"op":"replace","path":"displayName","value":"Johnny D."}"#)
            }
            #expect(changed == ["uid=jdoe,ou=People,dc=example,dc=org displayname -[\"John Doe\"] +[\"Johnny D.\"]"])

            // name.formatted: the value SCIM shows is replaced, the other cn values stay.
            changed = try await Self.changes(harness) {
                let patched = try await scim.patch("Users", jdoeID, #"{"op":"replace","path":"name.formatted","value":"John Q. Doe"}"#)
                #expect(patched?["name"]?["formatted"]?.stringValue == "John Q. Doe")
            }
            #expect(changed == ["uid=jdoe,ou=People,dc=example,dc=org cn -[\"John Doe\"] +[\"John Q. Doe\"]"])

            // One e-mail removed by value: only that mail value goes.
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Users", jdoeID, #"{"op":"remove","path":"emails[value eq \"john@old.example.org\"]"}"#)
            }
            #expect(changed == ["uid=jdoe,ou=People,dc=example,dc=org mail -[\"john@old.example.org\"] +[]"])

            // An entry named by cn: a new userName changes uid, not the name.
            let smith = try await scim.one("Users", #"userName eq "jsmith""#)
            let smithID = try #require(smith["id"]?.stringValue)
            changed = try await Self.changes(harness) {
                let patched = try await scim.patch("Users", smithID, #"{"op":"replace","path":"userName","value":"john.smith"}"#)
                #expect(patched?["userName"]?.stringValue == "john.smith")
            }
            #expect(changed == [#"cn=Smith\2C John,ou=People,dc=example,dc=org uid -["jsmith"] +["john.smith"]"#])
            // PUT of it with a new title: still named cn=Smith\, John.
            var smithNow = Self.asReturned(try await scim.get("/scim/v2/Users/\(smithID)"))
            smithNow = Self.setting("title", .string("Analyst"), in: smithNow)
            changed = try await Self.changes(harness) { _ = try await scim.put("Users", smithID, smithNow) }
            #expect(changed == [#"cn=Smith\2C John,ou=People,dc=example,dc=org title -[] +["Analyst"]"#])

            // A multi-valued RDN: the uid part changes, the cn part and the second cn stay.
            let jane = try await scim.one("Users", #"userName eq "jane""#)
            let janeID = try #require(jane["id"]?.stringValue)
            #expect(jane["name"]?["formatted"]?.stringValue == "Jane Doe")
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Users", janeID, #"{"op":"replace","path":"userName","value":"jane.doe"}"#)
            }
            #expect(Set(changed) == ["+cn=Jane Doe+uid=jane.doe,ou=People,dc=example,dc=org", "-cn=Jane Doe+uid=jane,ou=People,dc=example,dc=org"])
            let renamed = try await DirectorySnapshot.read(harness.slapd)
            let janeEntry = try #require(renamed.entries["cn=jane doe+uid=jane.doe,ou=people,dc=example,dc=org"])
            #expect(Set(janeEntry["cn"] ?? []) == [Array("Jane Doe".utf8), Array("Jane".utf8)])
            #expect(janeEntry["uid"] == [Array("jane.doe".utf8)])
            #expect(janeEntry["employeenumber"] == [Array("42".utf8)])
            #expect(try await scim.get("/scim/v2/Users/\(janeID)")["userName"]?.stringValue == "jane.doe")

            // A user in a nested OU, a single cn equal to displayName: a new displayName leaves cn alone.
            let ana = try await scim.one("Users", #"userName eq "ana""#)
            let anaID = try #require(ana["id"]?.stringValue)
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Users", anaID, #"{"op":"replace","path":"displayName","value":"Ana N."}"#)
            }
            #expect(changed == ["uid=ana,ou=Staff,ou=People,dc=example,dc=org displayname -[\"Ana Núñez\"] +[\"Ana N.\"]"])
            // …and then cn, no longer derivable from displayName, is shown as it is.
            #expect(try await scim.get("/scim/v2/Users/\(anaID)")["name"]?["formatted"]?.stringValue == "Ana Núñez")
        }
    }

    @Test func groupsKeepMembersSCIMCannotSee() async throws {
        let harness = try await GatewayHarness.start(options: Self.options(), mapping: "Config/mapping/standard.yaml")
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let scim = Client(client: client)
            let staff = try await scim.one("Groups", #"displayName eq "staff""#)
            let staffID = try #require(staff["id"]?.stringValue)
            // Only the two users under ou=People are SCIM members; four other DNs are not shown.
            #expect(staff["members"]?.arrayValue?.count == 2)
            let jdoe = try await scim.one("Users", #"userName eq "jdoe""#)
            let jdoeID = try #require(jdoe["id"]?.stringValue)
            let ana = try await scim.one("Users", #"userName eq "ana""#)
            let anaID = try #require(ana["id"]?.stringValue)

            // PUT with one member fewer and one more: exactly those two member values change.
            var body = Self.asReturned(staff)
            let kept = (staff["members"]?.arrayValue ?? []).filter { $0["value"]?.stringValue != jdoeID }
            body = Self.setting("members", .array(kept + [.object(["value": .string(anaID)])]), in: body)
            var changed = try await Self.changes(harness) { _ = try await scim.put("Groups", staffID, body) }
            #expect(
                changed == [
                    "cn=staff,ou=Groups,dc=example,dc=org member -[\"uid=jdoe,ou=People,dc=example,dc=org\"] +[\"uid=ana,ou=Staff,ou=People,dc=example,dc=org\"]"
                ])

            // Removing every member SCIM shows leaves the others, and no placeholder beside them.
            changed = try await Self.changes(harness) {
                let patched = try await scim.patch("Groups", staffID, #"{"op":"remove","path":"members"}"#)
                #expect(patched?["members"] == nil)
            }
            #expect(
                changed == [
                    #"cn=staff,ou=Groups,dc=example,dc=org member -["cn=Smith\\, John,ou=People,dc=example,dc=org", "uid=ana,ou=Staff,ou=People,dc=example,dc=org"] +[]"#
                ])
            let after = try await DirectorySnapshot.read(harness.slapd)
            #expect(after.entries["cn=staff,ou=groups,dc=example,dc=org"]?["member"]?.count == 4)

            // A group named by cn with a second cn value: a rename keeps the second value and the nested group.
            let admins = try await scim.one("Groups", #"displayName eq "admins""#)
            let adminsID = try #require(admins["id"]?.stringValue)
            #expect(admins["members"]?.arrayValue?.count == 2)
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Groups", adminsID, #"{"op":"replace","path":"displayName","value":"admin-team"}"#)
            }
            #expect(Set(changed) == ["+cn=admin-team,ou=Groups,dc=example,dc=org", "-cn=admins,ou=Groups,dc=example,dc=org"])
            let renamed = try await DirectorySnapshot.read(harness.slapd)
            #expect(
                Set(renamed.entries["cn=admin-team,ou=groups,dc=example,dc=org"]?["cn"] ?? []) == [
                    Array("Administrators".utf8), Array("admin-team".utf8),
                ])
        }
    }

    @Test func newUsersArePosixAccountsWithUniqueNumbers() async throws {
        let harness = try await GatewayHarness.start(options: Self.options(), mapping: "Config/mapping/standard.yaml")
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let auth = GatewayHarness.auth
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: auth,
                body: jsonBody(
                    userJSON("newbie", extra: #""name":{"givenName":"New","familyName":"Bie"}"#)))
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let ldap = try await harness.ldap()
            let entry = try #require(
                try await ldap.search(
                    base: "ou=People,dc=example,dc=org", filter: .equal("uid", "newbie"),
                    attributes: ["*"]
                ).entries.first)
            #expect(entry.dn == "uid=newbie,ou=People,dc=example,dc=org")
            #expect(entry.strings("objectClass").contains { $0.caseInsensitiveEquals("posixAccount") })
            // 10001 and 10002 belong to entries written by other tools: skipped.
            #expect(entry.string("uidNumber") == "10003")
            #expect(entry.string("gidNumber") == "10000")
            #expect(entry.string("homeDirectory") == "/home/newbie")
            #expect(entry.string("loginShell") == "/bin/bash")
            #expect(entry.strings("cn") == ["New Bie"])

            // Concurrent creates never share a number.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let response = try await client.execute(
                            uri: "/scim/v2/Users", method: .post, headers: auth,
                            body: jsonBody(userJSON("parallel\(index)")))
                        #expect(response.status == .created, "\(String(buffer: response.body))")
                    }
                }
                try await group.waitForAll()
            }
            let numbers = try await ldap.search(base: "dc=example,dc=org", filter: .present("uidNumber"), attributes: ["uidNumber"])
                .entries.compactMap { $0.string("uidNumber") }
            #expect(numbers.count == 11)
            #expect(Set(numbers).count == numbers.count)
            // No number wasted: nine taken (10003…10011), the counter holds the next.
            let counter = try await ldap.search(base: "cn=uidNext,ou=Pool,dc=example,dc=org", scope: .base, attributes: ["gidNumber"])
            #expect(counter.entries.first?.string("gidNumber") == "10012")

            // A user name that would escape /home is refused, and nothing is added.
            let evil = try await client.execute(uri: "/scim/v2/Users", method: .post, headers: auth, body: jsonBody(userJSON("../etc")))
            #expect(evil.status == .badRequest)
            #expect(evil.json?["scimType"]?.stringValue == "invalidValue")
            #expect(try await ldap.search(base: "dc=example,dc=org", filter: .equal("uid", "../etc"), attributes: ["1.1"]).entries.isEmpty)
        }
    }

    @Test func posixGroupsStoreMembersByUserName() async throws {
        let harness = try await GatewayHarness.start(options: Self.options(), mapping: "Config/mapping/posix.yaml")
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let scim = Client(client: client)
            let developers = try await scim.one("Groups", #"displayName eq "developers""#)
            let developersID = try #require(developers["id"]?.stringValue)
            let jdoeID = try #require(try await scim.one("Users", #"userName eq "jdoe""#)["id"]?.stringValue)
            let smithID = try #require(try await scim.one("Users", #"userName eq "jsmith""#)["id"]?.stringValue)
            let anaID = try #require(try await scim.one("Users", #"userName eq "ana""#)["id"]?.stringValue)
            // memberUid alum (outside ou=People) and ghost (no such user) are not SCIM members.
            #expect(Set(developers["members"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []) == [jdoeID, smithID])
            #expect(developers["members"]?[0]?["type"]?.stringValue == "User")
            #expect(try await scim.get(filterURI("Groups", #"members.value eq "\#(smithID)""#))["totalResults"] == .integer(1))

            var changed = try await Self.changes(harness) { _ = try await scim.put("Groups", developersID, Self.asReturned(developers)) }
            #expect(changed == [])
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Groups", developersID, #"{"op":"add","path":"members","value":[{"value":"\#(anaID)"}]}"#)
            }
            #expect(changed == [#"cn=developers,ou=Groups,dc=example,dc=org memberuid -[] +["ana"]"#])
            // A new userName is followed in the group (refint does not follow memberUid).
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Users", jdoeID, #"{"op":"replace","path":"userName","value":"john.doe"}"#)
            }
            #expect(
                Set(changed) == [
                    "+uid=john.doe,ou=People,dc=example,dc=org", "-uid=jdoe,ou=People,dc=example,dc=org",
                    #"cn=developers,ou=Groups,dc=example,dc=org memberuid -["JDoe"] +["john.doe"]"#,
                ])
            #expect(try await scim.get("/scim/v2/Groups/\(developersID)")["members"]?.arrayValue?.count == 3)
            // Clearing the members SCIM shows leaves alum and ghost.
            changed = try await Self.changes(harness) {
                _ = try await scim.patch("Groups", developersID, #"{"op":"remove","path":"members"}"#)
            }
            #expect(changed == [#"cn=developers,ou=Groups,dc=example,dc=org memberuid -["ana", "john.doe", "jsmith"] +[]"#])

            // A new posixGroup gets its gidNumber from the counter and members by uid.
            let created = try await client.execute(
                uri: "/scim/v2/Groups", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(
                    #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"ops","members":[{"value":"\#(anaID)"}]}"#))
            #expect(created.status == .created, "\(String(buffer: created.body))")
            #expect(created.json?["members"]?[0]?["value"]?.stringValue == anaID)
            let ldap = try await harness.ldap()
            let ops = try #require(
                try await ldap.search(base: "ou=Groups,dc=example,dc=org", filter: .equal("cn", "ops"), attributes: ["*"]).entries.first)
            #expect(ops.strings("memberUid") == ["ana"])
            #expect(ops.string("gidNumber") == "20000")
        }
    }

    /// `active` without ppolicy, as the README shows it: shadowExpire (PAM and SSSD honour it). active=false
    /// writes `1` (adding shadowAccount where the entry lacks it), active=true removes only that `1`.
    @Test func activeMapsToShadowExpireWithoutPPolicy() async throws {
        let standard = try String(contentsOf: GatewayHarness.repository.appendingPathComponent("Config/mapping/standard.yaml"), encoding: .utf8)
        let mapping =
            standard
            .replacingOccurrences(
                of: "objectClasses: [top, person, organizationalPerson, inetOrgPerson, posixAccount]",
                with: "objectClasses: [top, person, organizationalPerson, inetOrgPerson, posixAccount, shadowAccount]"
            )
            .replacingOccurrences(
                of: "      - { scim: password, ldap: userPassword, kind: password }",
                with: "      - { scim: password, ldap: userPassword, kind: password }\n"
                    + "      - { scim: active, ldap: shadowExpire, kind: active, strategy: attribute, inactiveValue: \"1\" }")
        #expect(mapping.contains("shadowExpire"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("shadow-\(UUID().uuidString).yaml")
        try mapping.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let harness = try await GatewayHarness.start(options: Self.options(), mapping: file.path)
        defer { harness.stop() }
        try await harness.application().test(.router) { client in
            let scim = Client(client: client)
            let smith = try await scim.one("Users", #"userName eq "jsmith""#)
            let smithID = try #require(smith["id"]?.stringValue)
            #expect(smith["active"] == .bool(true))
            // jsmith is posixAccount without shadowAccount: the class comes with the value, nothing else changes.
            var changed = try await Self.changes(harness) {
                let patched = try await scim.patch("Users", smithID, #"{"op":"replace","path":"active","value":false}"#)
                #expect(patched?["active"] == .bool(false))
            }
            #expect(
                Set(changed) == [
                    #"cn=Smith\2C John,ou=People,dc=example,dc=org objectclass -[] +["shadowAccount"]"#,
                    #"cn=Smith\2C John,ou=People,dc=example,dc=org shadowexpire -[] +["1"]"#,
                ])
            changed = try await Self.changes(harness) {
                let patched = try await scim.patch("Users", smithID, #"{"op":"replace","path":"active","value":true}"#)
                #expect(patched?["active"] == .bool(true))
            }
            #expect(changed == [#"cn=Smith\2C John,ou=People,dc=example,dc=org shadowexpire -["1"] +[]"#])
            // A PUT as returned changes nothing, and an expiry date an admin set is left alone by active=true.
            let admin = try await LDAPConnection.connect(harness.slapd.adminConfiguration())
            _ = try await admin.modify(dn: "uid=jdoe,ou=People,dc=example,dc=org", [.replace("shadowExpire", ["20500"])])
            let jdoe = try await scim.one("Users", #"userName eq "jdoe""#)
            #expect(jdoe["active"] == .bool(true))
            changed = try await Self.changes(harness) {
                _ = try await scim.put("Users", try #require(jdoe["id"]?.stringValue), Self.asReturned(jdoe))
                _ = try await scim.patch("Users", try #require(jdoe["id"]?.stringValue), #"{"op":"replace","path":"active","value":true}"#)
            }
            #expect(changed == [])
        }
    }
}
