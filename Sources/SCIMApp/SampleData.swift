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

    static func usersLDIF(count: Int, peopleDN: String) -> String {
        var out = ""
        out.reserveCapacity(count * 400)
        for index in 1...max(count, 1) where count > 0 {
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
