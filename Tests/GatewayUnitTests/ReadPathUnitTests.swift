import Foundation
import LDAPClient
@testable import SCIMLDAP
@testable import SCIMServer
import SCIMTestSupport
import Testing

/// The pure pieces behind the faster read path (no directory needed).
@Suite("Read path: pure helpers")
struct ReadPathUnitTests {
    @Test func plainDNKeysEqualParsedKeys() throws {
        let plain = [
            "uid=bjensen,ou=People,dc=Example,dc=org", "CN=Everyone,OU=groups,DC=example,DC=org",
            "cn=a-b_c.d,dc=x", "2.5.4.3=Nobody,dc=example,dc=org",
        ]
        for dn in plain {
            #expect(DistinguishedNameKey.key(dn) == (try DistinguishedName(dn).normalized), "\(dn)")
        }
        // Anything else still goes through the parser: spaces, escapes, multi-valued RDNs, non-ASCII.
        #expect(DistinguishedNameKey.key("cn=Smith\\, J, dc=x") == (try DistinguishedName("cn=Smith\\, J, dc=x").normalized))
        #expect(DistinguishedNameKey.key("uid=b+cn=A,dc=x") == (try DistinguishedName("uid=b+cn=A,dc=x").normalized))
        #expect(DistinguishedNameKey.key("cn=Jörg,dc=x") == (try DistinguishedName("cn=Jörg,dc=x").normalized))
    }

    @Test func typeBitsNeverMissAPresentType() {
        let names = ["mail", "scimEmail;x-scim-type-work", "UID", "memberOf", "entryUUID", "pwdAccountLockedTime", "cn"]
        let entry = LDAPEntry(dn: "uid=x", attributes: names.map { .init(description: $0, values: [[1]]) })
        for name in ["MAIL", "scimemail", "uid", "MEMBEROF", "entryuuid", "pwdaccountlockedtime", "CN"] {
            #expect(entry.mayHold(LDAPEntry.typeBit(name)), "\(name)")
        }
        #expect(LDAPEntry.typeBit("displayName") == LDAPEntry.typeBit("DISPLAYNAME"))
        #expect(LDAPEntry.typeBit("scimEmail;x-scim-type-work") == LDAPEntry.typeBit("SCIMEMAIL"))
        #expect(!LDAPEntry(dn: "uid=y", attributes: []).mayHold(LDAPEntry.typeBit("mail")))
        // Mappings carry the bits of every attribute they read, options stripped.
        let tagged = AttributeMapping(scim: "emails", ldap: "scimEmail", kind: .tagged(.init()))
        #expect(entry.mayHold(tagged.typeBits))
    }

    @Test func taggedOptionsReadInAnyCase() {
        let lower = TaggedValueOptions(options: ["x-scim-type-work", "x-scim-primary", "x-scim-n2"])
        let upper = TaggedValueOptions(options: ["X-SCIM-Type-Work", "X-SCIM-PRIMARY", "x-scim-N2"])
        #expect(lower == upper)
        #expect(lower.type == "work" && lower.primary && lower.index == 2)
        let other = TaggedValueOptions(options: ["x-scim-notprimary", "lang-en", "x-scim-nope"])
        #expect(other.type == nil && !other.primary && other.explicitlyNotPrimary && other.index == nil)
    }

    @Test func credentialsLoseOnlySpacesAndTabs() {
        #expect(AuthenticationMiddleware.trimmingSpaces("  abc.def \t") == "abc.def")
        #expect(AuthenticationMiddleware.trimmingSpaces("abc") == "abc")
        #expect(AuthenticationMiddleware.trimmingSpaces(" \t ") == "")
        #expect(AuthenticationMiddleware.trimmingSpaces("a b") == "a b")
    }

    @Test func starListsNameOnlyWhatStarLeavesOut() throws {
        let url = UnitFixtures.repository.appendingPathComponent("Config/mapping/bundled.yaml")
        let mapping = try Mapping.load(url, suffix: "dc=example,dc=org")
        let users = try #require(mapping.resourceTypes["User"])
        let groups = try #require(mapping.resourceTypes["Group"])
        let rules = DirectorySchemaRules.parse([
            "( 1.3.6.1.1.16.4 NAME 'entryUUID' USAGE directoryOperation )",
            "( 2.5.18.1 NAME 'createTimestamp' USAGE directoryOperation )",
            "( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) )",
            "( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) )",
            "( 2.5.4.31 NAME 'member' )",
            "( 2.5.4.3 NAME ( 'cn' 'commonName' ) )",
        ])
        let lists = ReadAttributeLists.starLists(users, rules)
        #expect(lists.all.first == "*")
        let named = Set(lists.all.dropFirst().map { $0.lowercased() })
        #expect(named.contains("entryuuid") && named.contains("createtimestamp"))
        #expect(!named.contains("uid") && !named.contains("mail") && !named.contains("cn"))
        #expect(named.contains("memberof"))  // unknown to these rules: kept by name
        #expect(lists.withoutMembers == lists.all)
        // A type with members keeps the explicit list when members are left out.
        let groupLists = ReadAttributeLists.starLists(groups, rules)
        #expect(groupLists.all.first == "*")
        #expect(groupLists.withoutMembers == groups.readAttributesWithoutMembers)
        #expect(!groupLists.withoutMembers.contains { $0.lowercased() == "member" })
    }

    @Test func onlyObjectClassSelectionsAreDecidedOnTheEntry() {
        #expect(ResourceMapping.objectClasses(in: [.equal("objectClass", "inetOrgPerson")]) == ["inetOrgPerson"])
        #expect(ResourceMapping.objectClasses(in: [.and([.equal("objectclass", "a"), .equal("OBJECTCLASS", "b")])]) == ["a", "b"])
        #expect(ResourceMapping.objectClasses(in: []) == [])
        #expect(ResourceMapping.objectClasses(in: [.and([.equal("objectClass", "a"), .equal("employeeType", "staff")])]) == nil)
        #expect(ResourceMapping.objectClasses(in: [.present("objectClass")]) == nil)
        let entry = LDAPEntry(dn: "uid=x", attributes: [.init(description: "objectClass", values: [Array("InetOrgPerson".utf8), Array("top".utf8)])])
        #expect(entry.listsObjectClasses(["inetorgperson"]))
        #expect(entry.listsObjectClasses([]))
        #expect(!entry.listsObjectClasses(["inetOrgPerson", "scimUser"]))
    }
}
