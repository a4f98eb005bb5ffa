import Foundation
import LDAPClient
import OrderedCollections
@testable import SCIMLDAP
import SCIMCore
import SCIMTestSupport
import Testing

/// The pure parts of planning a write over an entry another tool shaped (no directory needed).
@Suite("Write plans: visible values and renames")
struct WritePlanUnitTests {
    static func bytes(_ values: [String]) -> [[UInt8]] { values.map { Array($0.utf8) } }

    static func entry(_ dn: String, _ attributes: [(String, [String])]) -> LDAPEntry {
        LDAPEntry(dn: dn, attributes: attributes.map { LDAPEntry.Attribute(description: $0.0, values: bytes($0.1)) })
    }

    static func describe(_ modifications: [LDAPModification]) -> [String] {
        modifications.map { modification in
            "\(modification.operation) \(modification.attribute) \(modification.values.map { String(decoding: $0, as: UTF8.self) })"
        }
    }

    @Test func whatAWriteOwnsIsWorkedOutOncePerMapping() throws {
        var users = try #require(try Mapping.load(UnitFixtures.bundledMapping, suffix: "dc=example,dc=org").resourceTypes["User"])
        let types = users.memo.writtenTypes { WritePlan.writtenTypes(users) }
        #expect(types.owned.isSuperset(of: ["uid", "mail", "title", "userpassword", "cn", "sn"]))
        #expect(types.single.isSuperset(of: ["uid", "title"]) && !types.single.contains("mail"))
        #expect(types.passwordOnly == ["userpassword"])
        #expect(!types.owned.contains("memberof"))  // `groups` is read-only
        // The memo answers without computing again; a change to the mapping's attributes starts a new one.
        let again = users.memo.writtenTypes { WritePlan.WrittenTypes() }
        #expect(again.owned == types.owned)
        users.attributes = users.attributes.filter { $0.ldap.lowercased() != "title" }
        let changed = users.memo.writtenTypes { WritePlan.writtenTypes(users) }
        #expect(!changed.owned.contains("title") && changed.owned.contains("uid"))
    }

    @Test func singleValuedSCIMAttributeKeepsTheOtherLDAPValues() {
        let current = Self.entry("uid=jdoe,ou=People,dc=example,dc=org", [("cn", ["John Doe", "Johnny", "J. Doe"]), ("title", ["Eng"])])
        var planner = ModificationPlanner(ownedTypes: ["cn", "title"], singleValuedTypes: ["cn", "title"])
        planner.visible = VisibleValues.compute(
            current: current, view: [("cn", Self.bytes(["John Doe"])), ("title", Self.bytes(["Eng"]))],
            dnValued: [])
        #expect(planner.visible["cn"] == Self.bytes(["John Doe"]))
        #expect(planner.visible["title"] == nil)  // every value is visible
        // Unchanged: nothing to do.
        #expect(planner.plan(current: current, desired: [("cn", Self.bytes(["John Doe"])), ("title", Self.bytes(["Eng"]))]).isEmpty)
        // A new value replaces the one SCIM showed, first, with the others after it.
        let changed = planner.plan(current: current, desired: [("cn", Self.bytes(["John Q. Doe"])), ("title", Self.bytes(["Eng"]))])
        #expect(Self.describe(changed) == [#"replace cn ["John Q. Doe", "Johnny", "J. Doe"]"#])
        // Removed by the client: the attribute goes whole (else the next value would show up as its value).
        let removed = planner.plan(current: current, desired: [("title", Self.bytes(["Eng"]))])
        #expect(Self.describe(removed) == [#"delete cn []"#])
        // Without the visibility map (every value visible), the old behaviour: the attribute is replaced whole.
        let blind = ModificationPlanner(ownedTypes: ["cn"], singleValuedTypes: ["cn"])
        #expect(Self.describe(blind.plan(current: current, desired: [("cn", Self.bytes(["X"]))])) == [#"replace cn ["X"]"#])
    }

    @Test func membersSCIMCannotSeeStayAndDNsCompareAsDNs() {
        let current = Self.entry(
            "cn=staff,ou=Groups,dc=example,dc=org",
            [
                (
                    "member",
                    [
                        "uid=jdoe,ou=People,dc=example,dc=org", #"cn=Smith\, John,ou=People,dc=example,dc=org"#,
                        "uid=alum,ou=Alumni,dc=example,dc=org", "uid=gone,ou=People,dc=example,dc=org",
                    ]
                )
            ])
        // The view spells the DNs as the directory returns entries: cn=Smith\2C John.
        let view = [("member", Self.bytes(["uid=jdoe,ou=people,dc=example,dc=org", #"cn=Smith\2C John,ou=People,dc=example,dc=org"#]))]
        var planner = ModificationPlanner(ownedTypes: ["member"], singleValuedTypes: [])
        planner.dnValuedTypes = ["member"]
        planner.visible = VisibleValues.compute(current: current, view: view, dnValued: ["member"])
        #expect(planner.visible["member"]?.count == 2)
        #expect(planner.plan(current: current, desired: view).isEmpty)
        let without = planner.plan(current: current, desired: [("member", Self.bytes([#"cn=Smith\2C John,ou=People,dc=example,dc=org"#]))])
        #expect(Self.describe(without) == [#"delete member ["uid=jdoe,ou=People,dc=example,dc=org"]"#])
        let cleared = planner.plan(current: current, desired: [])
        #expect(
            Self.describe(cleared) == [#"delete member ["uid=jdoe,ou=People,dc=example,dc=org", "cn=Smith\\, John,ou=People,dc=example,dc=org"]"#])
    }

    @Test func renamesOnlyWhenANamingValueGoesAndKeepTheRDNShape() throws {
        let smith = Self.entry(#"cn=Smith\, John,ou=People,dc=example,dc=org"#, [("cn", ["Smith, John"]), ("uid", ["jsmith"])])
        #expect(try RDNChange.plan(current: smith, modifications: [.replace("uid", ["john.smith"])], preferred: [])?.newRDN == nil)

        let jane = Self.entry("cn=Jane Doe+uid=jane,ou=People,dc=example,dc=org", [("cn", ["Jane Doe", "Jane"]), ("uid", ["jane"])])
        let change = try #require(
            try RDNChange.plan(
                current: jane, modifications: [.replace("uid", ["jane.doe"])],
                preferred: [("uid", Self.bytes(["jane.doe"]))]))
        #expect(change.newRDN == "cn=Jane Doe+uid=jane.doe")
        #expect(change.oldRDN == "cn=Jane Doe+uid=jane")
        #expect(change.newDN == "cn=Jane Doe+uid=jane.doe,ou=People,dc=example,dc=org")
        #expect(change.renamed.strings("uid") == ["jane.doe"])
        #expect(change.renamed.strings("cn") == ["Jane Doe", "Jane"])

        // The naming value changes only in case: slapd's caseIgnoreMatch still names the entry by it.
        let upper = Self.entry("uid=JDoe,ou=People,dc=example,dc=org", [("uid", ["JDoe"])])
        #expect(try RDNChange.plan(current: upper, modifications: [.add("uid", ["jdoe"])], preferred: [])?.newRDN == nil)

        // Removing the last naming value is refused, not attempted.
        #expect(throws: SCIMError.self) {
            try RDNChange.plan(current: smith, modifications: [.delete("cn")], preferred: [])
        }
        // With several values left, the wanted one names the entry.
        let admins = Self.entry("cn=admins,ou=Groups,dc=example,dc=org", [("cn", ["admins", "Administrators"])])
        let renamed = try #require(
            try RDNChange.plan(
                current: admins, modifications: [.replace("cn", ["admin-team", "Administrators"])],
                preferred: [("cn", Self.bytes(["admin-team"]))]))
        #expect(renamed.newRDN == "cn=admin-team")
    }

    @Test func templatesForNewEntriesRefuseValuesThatEscapeAPath() throws {
        let resource = JSONValue.object(["userName": .string("newbie"), "name": .object(["givenName": .string("N")])])
        #expect(try NewEntryDefaults.render("/home/{userName}", ldap: "homeDirectory", resource: resource) == "/home/newbie")
        #expect(try NewEntryDefaults.render("{name.givenName}-{userName}", ldap: "gecos", resource: resource) == "N-newbie")
        #expect(try NewEntryDefaults.render("/bin/bash", ldap: "loginShell", resource: resource) == "/bin/bash")
        for bad in ["..", "a/b", ".", "x\ny"] {
            #expect(throws: SCIMError.self) {
                try NewEntryDefaults.render("/home/{userName}", ldap: "homeDirectory", resource: .object(["userName": .string(bad)]))
            }
        }
        #expect(throws: SCIMError.self) {
            try NewEntryDefaults.render("/home/{displayName}", ldap: "homeDirectory", resource: resource)
        }
    }
}
