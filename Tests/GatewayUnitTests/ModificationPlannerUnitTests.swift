import Foundation
import LDAPClient
@testable import SCIMLDAP
import Testing

/// The smallest modification list from "the entry as it is" to "the attributes it should have", as a table
/// (owned types: cn, title, mail, member, scimEmail; single-valued: cn, title).
@Suite("Modification planner")
struct ModificationPlannerUnitTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var current: [(String, [String])]
        var desired: [(String, [String])]
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "unchanged: nothing to do", current: [("cn", ["A"]), ("mail", ["a@x", "b@x"])],
            desired: [("cn", ["A"]), ("mail", ["b@x", "a@x"])], expected: []),
        Case(
            name: "a member more: one add of that value", current: [("member", ["uid=a", "uid=b"])],
            desired: [("member", ["uid=a", "uid=b", "uid=c"])], expected: [#"add member ["uid=c"]"#]),
        Case(
            name: "a member less: one delete of that value", current: [("member", ["uid=a", "uid=b"])],
            desired: [("member", ["uid=a"])], expected: [#"delete member ["uid=b"]"#]),
        Case(
            name: "single-valued: replace", current: [("title", ["Guide"])], desired: [("title", ["Chief"])],
            expected: [#"replace title ["Chief"]"#]),
        Case(
            name: "gone: the attribute is deleted whole", current: [("title", ["Guide"]), ("cn", ["A"])],
            desired: [("cn", ["A"])], expected: [#"delete title []"#]),
        Case(
            name: "new single-valued: replace, new multi-valued: add", current: [("cn", ["A"])],
            desired: [("cn", ["A"]), ("title", ["Guide"]), ("mail", ["a@x"])],
            expected: [#"replace title ["Guide"]"#, #"add mail ["a@x"]"#]),
        Case(
            name: "types the mapping does not own are never touched", current: [("cn", ["A"]), ("description", ["keep"])],
            desired: [("cn", ["A"]), ("description", ["other"]), ("jpegPhoto", ["x"])], expected: []),
        Case(
            name: "options compare ignoring case and order",
            current: [("scimEmail;x-scim-type-work;x-scim-primary", ["a@x"])],
            desired: [("SCIMEMAIL;X-SCIM-PRIMARY;x-scim-type-work", ["a@x"])], expected: []),
        Case(
            name: "deletes come before adds", current: [("mail", ["a@x"]), ("member", ["uid=a"])],
            desired: [("mail", ["b@x"]), ("member", ["uid=a"])],
            expected: [#"delete mail ["a@x"]"#, #"add mail ["b@x"]"#]),
        Case(
            name: "duplicates in the wish are written once", current: [],
            desired: [("mail", ["a@x", "a@x"])], expected: [#"add mail ["a@x"]"#]),
    ]

    @Test(arguments: cases)
    func plan(_ example: Case) {
        let planner = ModificationPlanner(ownedTypes: ["cn", "title", "mail", "member", "scimemail"], singleValuedTypes: ["cn", "title"])
        let current = LDAPEntry(
            dn: "uid=a,ou=people,dc=example,dc=org",
            attributes: example.current.map {
                LDAPEntry.Attribute(description: $0.0, values: $0.1.map { Array($0.utf8) })
            })
        let plan = planner.plan(current: current, desired: example.desired.map { ($0.0, $0.1.map { Array($0.utf8) }) })
        let described = plan.map { "\($0.operation) \($0.attribute) \($0.values.map { String(decoding: $0, as: UTF8.self) })" }
        #expect(described == example.expected)
    }
}
