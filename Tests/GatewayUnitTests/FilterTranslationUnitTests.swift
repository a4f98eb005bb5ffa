import Foundation
import LDAPClient
@testable import SCIMLDAP
import SCIMCore
import SCIMTestSupport
import Testing

/// SCIM filter → one LDAP filter, for the bundled mapping and a directory whose schema gives the matching rules
/// below (no directory needed). Each case is the SCIM filter and the exact LDAP filter it becomes, or the scimType
/// it is refused with.
@Suite("Filter translation: SCIM → LDAP")
struct FilterTranslationUnitTests {
    static let rules = DirectorySchemaRules.parse([
        "( 0.9.2342.19200300.100.1.1 NAME ( 'uid' 'userid' ) EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch )",
        "( 2.5.4.12 NAME 'title' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch )",
        "( 2.16.840.1.113730.3.1.241 NAME 'displayName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch )",
        "( 1.3.6.1.4.1.99999.1 NAME 'scimEmail' EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch )",
        "( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch )",
        "( 2.5.18.1 NAME 'createTimestamp' EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch USAGE directoryOperation )",
        "( 2.5.18.2 NAME 'modifyTimestamp' EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch USAGE directoryOperation )",
        "( 1.3.6.1.1.16.4 NAME 'entryUUID' EQUALITY UUIDMatch ORDERING UUIDOrderingMatch USAGE directoryOperation )",
        "( 2.16.840.1.113730.3.1.3 NAME 'employeeNumber' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch )",
    ])

    static let users: ResourceMapping = {
        let mapping = try! Mapping.load(UnitFixtures.bundledMapping, suffix: "dc=example,dc=org")
        return mapping.resourceTypes["User"]!
    }()

    static func translate(_ text: String) throws -> String {
        let filter = try SCIMFilter.parse(text).resolved(against: UnitFixtures.user)
        let translation = SCIMFilterTranslation(mapping: users, type: UnitFixtures.user, rules: rules)
        return try translation.translate(filter).description
    }

    @Test(arguments: [
        (#"userName eq "bjensen""#, "(uid=bjensen)"),
        (#"USERNAME Eq "BJensen""#, "(uid=BJensen)"),
        (#"userName ne "bjensen""#, "(!(uid=bjensen))"),
        (#"userName sw "bj""#, "(uid=bj*)"),
        (#"userName co "ens""#, "(uid=*ens*)"),
        (#"userName ew "sen""#, "(uid=*sen)"),
        ("title pr", "(title=*)"),
        (
            #"title eq "a" and (displayName co "b" or not (userName eq "c"))"#,
            "(&(title=a)(|(displayName=*b*)(!(uid=c))))"
        ),
        // Every value is escaped (RFC 4515): no filter injection through a SCIM value.
        (#"userName eq "*)(uid=*""#, #"(uid=\2a\29\28uid=\2a)"#),
        (#"userName eq "a\\b""#, #"(uid=a\5cb)"#),
        (#"userName eq "Jörg""#, #"(uid=J\c3\b6rg)"#),
        // id is entryUUID; a value that is not a UUID matches nothing instead of reaching the directory.
        (#"id eq "2819c223-7f76-453a-919d-413861904646""#, "(entryUUID=2819c223-7f76-453a-919d-413861904646)"),
        (#"id eq "not-a-uuid""#, "(|)"),
        (#"meta.created gt "2011-05-13T04:42:34Z""#, "(&(createTimestamp>=20110513044234Z)(!(createTimestamp=20110513044234Z)))"),
        (#"meta.lastModified le "2011-05-13T04:42:34Z""#, "(modifyTimestamp<=20110513044234Z)"),
        (#"meta.resourceType eq "User""#, "(&)"),
        (#"meta.resourceType eq "Group""#, "(|)"),
        // Type and primary travel as attribute options; the primary mirror (mail) answers for older entries.
        (#"emails[type eq "work" and value eq "b@example.com"]"#, "(scimEmail;x-scim-type-work=b@example.com)"),
        (#"emails.value eq "b@example.com""#, "(|(scimEmail=b@example.com)(mail=b@example.com))"),
        (#"emails[primary eq true]"#, "(scimEmail;x-scim-primary=*)"),
        (#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#, "(employeeNumber=701984)"),
    ])
    func translated(scim: String, ldap: String) throws {
        #expect(try Self.translate(scim) == ldap)
    }

    @Test(arguments: [
        (#"password eq "secret""#, "password"),
        (#"title gt "a""#, "ordering"),  // title has no ordering rule in this directory
        (#"meta.version eq "W/\"1\"""#, "meta.version"),
        (#"emails[not (type eq "work")]"#, "exactly"),
        (#"name.givenName eq "x""#, "equality"),  // givenName: no matching rule known at all
        (#"nickName sw "B""#, "substring"),
    ])
    func refused(scim: String, fragment: String) throws {
        do {
            _ = try Self.translate(scim)
            Issue.record("\(scim) was translated")
        } catch let error as SCIMError {
            #expect(error.scimType == .invalidFilter)
            #expect(error.detail.contains(fragment), "\(error.detail)")
        }
    }
}
