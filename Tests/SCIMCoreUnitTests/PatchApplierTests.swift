import Foundation
import OrderedCollections
import SCIMCore
import Testing

/// The PATCH engine against the examples of RFC 7644 §3.5.2 (add, remove, replace), as a table: each case names
/// its section, the operations, and what the attributes it touches must be afterwards (nil: absent).
@Suite("PATCH applier: RFC 7644 §3.5.2 examples")
struct PatchApplierTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var section: String
        var operations: String
        var group = false
        var expected: [String: JSONValue?]
        var testDescription: String { section }
    }

    static let member1 = "2819c223-7f76-453a-919d-413861904646"
    static let member2 = "902c246b-6245-4190-8e05-00816be7344a"

    /// RFC 7643 §8.2's user, trimmed: two e-mails, a work address, a nick name.
    static let user = json(
        """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"\(member1)","userName":"bjensen",
         "nickName":"Barbie","title":"Tour Guide",
         "emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
         "addresses":[{"type":"work","streetAddress":"100 Universal City Plaza","locality":"Hollywood","primary":true}]}
        """)

    static let group = json(
        """
        {"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"e9e30dba-f08f-4109-8486-d5c6a331660a",
         "displayName":"Tour Guides","members":[{"value":"\(member1)"},{"value":"\(member2)"}]}
        """)

    static let cases: [Case] = [
        Case(
            section: "§3.5.2.1 add a member",
            operations: """
                {"op":"add","path":"members","value":[{"display":"James Smith","value":"08e1d05d-121c-4561-8b96-473d93df9210"}]}
                """, group: true,
            expected: [
                "members": [
                    ["value": .string(member1)], ["value": .string(member2)],
                    ["value": "08e1d05d-121c-4561-8b96-473d93df9210"],
                ]
            ]),  // by id only
        Case(
            section: "§3.5.2.1 add without a path",
            operations: """
                {"op":"add","value":{"emails":[{"value":"babs@jensen.org","type":"home"},{"value":"b@example.net","type":"other"}],"nickName":"Babs"}}
                """,
            expected: [
                "nickName": "Babs",
                "emails": [
                    ["value": "bjensen@example.com", "type": "work", "primary": true], ["value": "babs@jensen.org", "type": "home"],
                    ["value": "b@example.net", "type": "other"],
                ],
            ]),
        Case(
            section: "§3.5.2.1 add replaces a single-valued attribute",
            operations: """
                {"op":"add","path":"title","value":"Chief Guide"}
                """, expected: ["title": "Chief Guide"]),
        Case(
            section: "§3.5.2.2 remove one member by filter",
            operations: """
                {"op":"remove","path":"members[value eq \\"\(member1)\\"]"}
                """, group: true, expected: ["members": [["value": .string(member2)]]]),
        Case(
            section: "§3.5.2.2 remove every member",
            operations: """
                {"op":"remove","path":"members"}
                """, group: true, expected: ["members": nil]),
        Case(
            section: "§3.5.2.2 remove values matching a filter",
            operations: """
                {"op":"remove","path":"emails[type eq \\"work\\" and value ew \\"example.com\\"]"}
                """, expected: ["emails": [["value": "babs@jensen.org", "type": "home"]]]),
        Case(
            section: "§3.5.2.2 remove a single-valued attribute",
            operations: """
                {"op":"remove","path":"nickName"}
                """, expected: ["nickName": nil, "title": "Tour Guide"]),
        Case(
            section: "§3.5.2.2 remove then add: replace a member",
            operations: """
                {"op":"remove","path":"members[value eq \\"\(member1)\\"]"},
                {"op":"add","path":"members","value":[{"value":"08e1d05d-121c-4561-8b96-473d93df9210"}]}
                """, group: true, expected: ["members": [["value": .string(member2)], ["value": "08e1d05d-121c-4561-8b96-473d93df9210"]]]),
        Case(
            section: "§3.5.2.3 replace every member",
            operations: """
                {"op":"replace","path":"members","value":[{"value":"08e1d05d-121c-4561-8b96-473d93df9210"}]}
                """, group: true, expected: ["members": [["value": "08e1d05d-121c-4561-8b96-473d93df9210"]]]),
        Case(
            section: "§3.5.2.3 replace a whole value selected by filter",
            operations: """
                {"op":"replace","path":"addresses[type eq \\"work\\"]","value":{"type":"work","streetAddress":"911 Universal City Plaza","primary":true}}
                """, expected: ["addresses": [["type": "work", "streetAddress": "911 Universal City Plaza", "primary": true]]]),
        Case(
            section: "§3.5.2.3 replace a sub-attribute of the value selected by filter",
            operations: """
                {"op":"replace","path":"addresses[type eq \\"work\\"].streetAddress","value":"1010 Broadway Ave"}
                """, expected: ["addresses": [["type": "work", "streetAddress": "1010 Broadway Ave", "locality": "Hollywood", "primary": true]]]),
        Case(
            section: "§3.5.2.3 replace without a path",
            operations: """
                {"op":"replace","value":{"emails":[{"value":"bjensen@example.com","type":"work"}],"nickName":"Babs"}}
                """, expected: ["nickName": "Babs", "emails": [["value": "bjensen@example.com", "type": "work"]]]),
        Case(
            section: "§3.5.2.3 a new primary clears the old one",
            operations: """
                {"op":"replace","path":"emails[type eq \\"home\\"].primary","value":true}
                """,
            expected: [
                "emails": [
                    ["value": "bjensen@example.com", "type": "work"],
                    ["value": "babs@jensen.org", "type": "home", "primary": true],
                ]
            ]),
    ]

    static func request(_ operations: String) throws -> PatchRequest {
        try PatchRequest(json: json(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[\#(operations)]}"#))
    }

    @Test(arguments: cases)
    func example(_ example: Case) throws {
        let type = example.group ? groupType : userType
        let before = example.group ? Self.group : Self.user
        let result = try PatchApplier(type: type).apply(try Self.request(example.operations), to: before)
        for (name, value) in example.expected {
            #expect(result.resource[name] == value, "\(name): \(result.resource[name].map { $0.jsonString() } ?? "absent")")
        }
        // Nothing else changed.
        for (name, value) in before.objectValue ?? [:] where example.expected[name] == nil {
            #expect(result.resource[name] == value, "\(name) changed")
        }
    }

    /// Membership changes are reported value by value, so a backend can write them without reading the group.
    @Test func memberChangesAreReportedPerValue() throws {
        let added = try PatchApplier(type: groupType).apply(
            try Self.request(
                #"""
                {"op":"add","path":"members","value":[{"value":"a"},{"value":"b"}]},{"op":"remove","path":"members[value eq \"b\"]"}
                """#), to: Self.group)
        #expect(added.memberChanges.added == ["a"])
        #expect(added.memberChanges.removed == ["b"])
        #expect(!added.memberChanges.replacedAll && !added.changesOtherAttributes)
        let applier = PatchApplier(type: groupType)
        #expect(!applier.needsCurrentMembers(try Self.request(#"{"op":"add","path":"members","value":[{"value":"a"}]}"#)))
        #expect(applier.needsCurrentMembers(try Self.request(#"{"op":"replace","path":"members","value":[{"value":"a"}]}"#)))
    }

    /// The errors §3.5.2 names, with their scimType.
    @Test(arguments: [
        (#"{"op":"remove"}"#, SCIMErrorType.noTarget),
        (#"{"op":"remove","path":"nope"}"#, .invalidPath),
        (#"{"op":"replace","path":"id","value":"x"}"#, .mutability),
        (#"{"op":"add","path":"title"}"#, .invalidValue),
        (#"{"op":"add","value":"not an object"}"#, .invalidValue),
    ])
    func refused(operation: String, scimType: SCIMErrorType) throws {
        // Refused when the request is read or when it is applied: either way a 400 with the scimType.
        do {
            _ = try PatchApplier(type: userType).apply(try Self.request(operation), to: Self.user)
            Issue.record("\(operation) was accepted")
        } catch let error as SCIMError {
            #expect(error.scimType == scimType, "\(operation): \(error.detail)")
            #expect(error.status == 400)
        }
    }

    /// A replace whose filter matches nothing adds the value (Entra ID's habit); the strict reading is noTarget.
    @Test func replaceWithoutTarget() throws {
        let request = try Self.request(#"{"op":"replace","path":"emails[type eq \"other\"].value","value":"x@example.com"}"#)
        let lenient = try PatchApplier(type: userType).apply(request, to: Self.user)
        #expect(lenient.resource["emails"]?.arrayValue?.last == ["type": "other", "value": "x@example.com"])
        #expect(throws: SCIMError.noTarget("No value of emails matches the filter.")) {
            _ = try PatchApplier(type: userType, strictNoTarget: true).apply(request, to: Self.user)
        }
    }
}
