import Foundation
import LDAPClient

/// Sample users and groups for the demo: users as LDIF for slapadd (fast, no passwords), groups added online so
/// the memberof overlay records memberships.
enum SampleData {
    static let givenNames = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
    static let familyNames = [
        "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
        "Perlman", "Berners-Lee",
    ]

    static func uid(_ index: Int) -> String { String(format: "user%05d", index) }

    /// Writes `count` users as LDIF to `handle`, 5,000 at a time (a million users never sit in memory at once).
    static func writeUsersLDIF(count: Int, peopleDN: String, to handle: FileHandle) throws {
        var start = 1
        while start <= count {
            let end = min(count, start + 4_999)
            try handle.write(contentsOf: Data(usersLDIF(start...end, peopleDN: peopleDN).utf8))
            start = end + 1
        }
    }

    static func usersLDIF(_ indexes: ClosedRange<Int>, peopleDN: String) -> String {
        var out = ""
        out.reserveCapacity(indexes.count * 420)
        for index in indexes {
            let given = givenNames[index % givenNames.count]
            let family = familyNames[(index / givenNames.count) % familyNames.count]
            let uid = uid(index)
            out += """
                dn: uid=\(uid),\(peopleDN)
                objectClass: top
                objectClass: person
                objectClass: organizationalPerson
                objectClass: inetOrgPerson
                objectClass: scimUser
                uid: \(uid)
                cn: \(given) \(family)
                sn: \(family)
                givenName: \(given)
                displayName: \(given) \(family)
                mail: \(uid)@example.org
                scimEmail;x-scim-type-work;x-scim-primary: \(uid)@example.org
                scimExternalId: ext-\(uid)
                scimActive: TRUE
                employeeNumber: \(index)


                """
        }
        return out
    }

    /// A few groups: "Everyone" (the first 10,000 users: the big group of scripts/bench.sh; users beyond it can
    /// join), and small teams ("Engineering": 10 members).
    static func groupsLDIF(userCount: Int, peopleDN: String, groupsDN: String) -> String {
        guard userCount > 0 else { return "" }
        let teams: [(String, ClosedRange<Int>)] = [
            ("Everyone", 1...min(userCount, 10_000)), ("Administrators", 1...min(2, userCount)),
            ("Engineering", 1...min(10, userCount)), ("Support", max(1, userCount - 4)...userCount),
        ]
        return teams.map { name, members in
            "dn: cn=\(name),\(groupsDN)\nobjectClass: top\nobjectClass: groupOfNames\nobjectClass: scimGroup\ncn: \(name)\n"
                + members.map { "member: uid=\(uid($0)),\(peopleDN)\n" }.joined()
        }.joined(separator: "\n")
    }
}
