import Foundation
import HTTPTypes
import HummingbirdTesting
import LDAPClient
import NIOCore
import SCIMCore
import SlapdHarness
import Testing

/// `schema/ldap/existing-directory.ldif.in` applied, as the README tells an admin, to a directory with Debian's
/// defaults (no sssvlv, "cn,uid eq" indexes, slapd's 500-entry limit): afterwards the gateway sorts, pages past
/// 500 entries with the right total, and allocates uidNumbers through the counter ACL.
@Suite("Existing directory: the prerequisites LDIF")
struct ExistingDirectorySetupTests {
    static func ldif(users: Int) -> String {
        var text = """
            dn: ou=People,dc=example,dc=org
            objectClass: organizationalUnit
            ou: People

            dn: ou=Groups,dc=example,dc=org
            objectClass: organizationalUnit
            ou: Groups

            dn: ou=Pool,dc=example,dc=org
            objectClass: organizationalUnit
            ou: Pool

            dn: cn=uidNext,ou=Pool,dc=example,dc=org
            objectClass: posixGroup
            cn: uidNext
            gidNumber: 30000


            """
        for index in 0..<users {
            text +=
                "dn: uid=user\(index),ou=People,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: user\(index)\ncn: User \(index)\nsn: \(index)\n\n"
        }
        return text
    }

    @Test func theLDIFMakesADebianDefaultDirectoryServable() async throws {
        let options = SlapdOptions(
            offlineLDIF: Self.ldif(users: 510),
            plain: PlainDirectory(indexes: ["objectClass eq", "cn,uid eq"]))
        let harness = try await GatewayHarness.start(options: options, mapping: "Config/mapping/standard.yaml")
        defer { harness.stop() }
        let template = try String(
            contentsOf: GatewayHarness.repository.appendingPathComponent("schema/ldap/existing-directory.ldif.in"),
            encoding: .utf8)
        let rendered = template.replacingOccurrences(of: "@DB@", with: "{1}mdb").replacingOccurrences(of: "@SUFFIX@", with: "dc=example,dc=org")
        let file = harness.slapd.directory.appendingPathComponent("existing.ldif")
        try rendered.write(to: file, atomically: true, encoding: .utf8)
        let applied = try await CommandRunner.run("/usr/bin/ldapmodify", ["-Y", "EXTERNAL", "-H", harness.slapd.ldapiURL, "-f", file.path])
        #expect(applied.status == 0, "\(applied.output)")

        try await harness.application().test(.router) { client in
            let page = try await client.execute(
                uri: "/scim/v2/Users?sortBy=userName&sortOrder=descending&startIndex=501&count=20",
                method: .get, headers: GatewayHarness.auth)
            #expect(page.status == .ok, "\(String(buffer: page.body))")
            #expect(page.json?["totalResults"] == .integer(510))
            #expect(page.json?["Resources"]?.arrayValue?.count == 10)
            let created = try await client.execute(
                uri: "/scim/v2/Users", method: .post, headers: GatewayHarness.auth,
                body: jsonBody(userJSON("fresh")))
            #expect(created.status == .created, "\(String(buffer: created.body))")
        }
        let ldap = try await harness.ldap()
        let fresh = try #require(
            try await ldap.search(
                base: "ou=People,dc=example,dc=org", filter: .equal("uid", "fresh"),
                attributes: ["uidNumber"]
            ).entries.first)
        #expect(fresh.string("uidNumber") == "30000")
        let counter = try await ldap.search(base: "cn=uidNext,ou=Pool,dc=example,dc=org", scope: .base, attributes: ["gidNumber"])
        #expect(counter.entries.first?.string("gidNumber") == "30001")
    }
}
