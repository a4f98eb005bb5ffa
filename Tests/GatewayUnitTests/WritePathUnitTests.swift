import Foundation
import LDAPClient
@testable import SCIMLDAP
@testable import SCIMCore
import SCIMTestSupport
import Testing

/// The write path's decisions that need no directory: If-Match, what a PATCH reads and removes, references
/// named by a representation, and the member modifications of a membership-only PATCH.
@Suite("Write path: If-Match, PATCH reads, references, member changes")
struct WritePathUnitTests {
    static let mapping = try! Mapping.load(UnitFixtures.bundledMapping, suffix: "dc=example,dc=org")
    static let users = mapping.resourceTypes["User"]!
    static let groups = mapping.resourceTypes["Group"]!
    static let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    static let alice = "0c7f4a5e-3b1d-4f7a-9a51-2f3c1d0e9b10"
    static let bob = "6d2e8f10-7c3a-4b5e-8e21-9a0b1c2d3e4f"

    static let entry = LDAPEntry(
        dn: "uid=bjensen,ou=people,dc=example,dc=org",
        attributes: [
            .init(description: "entryCSN", values: [Array("20261203120000.000000Z#000000#000#000000".utf8)])
        ])

    static func patch(_ text: String) throws -> PatchRequest {
        try PatchRequest(json: try JSONValue.parse(Data(text.utf8), maxDepth: 16, maxBytes: 4096))
    }

    static func target(_ id: String, _ dn: String) -> ReferenceResolver.Target {
        ReferenceResolver.Target(dn: dn, id: id, display: nil, resourceType: "User")
    }

    @Test func ifMatchIsCarriedByTheOperationOrComparedBeforeIt() throws {
        let version = EntryDecoder.version(Self.entry)
        #expect(try IfMatchCondition(nil).controls(current: Self.entry).isEmpty)
        #expect(try IfMatchCondition(nil).controls(current: Self.entry, inOperation: false).isEmpty)
        #expect(try IfMatchCondition(version).controls(current: Self.entry) == [IfMatchCondition.assertion(version)])
        // An operation that cannot carry the Assertion control: compared now, no control.
        #expect(try IfMatchCondition(version).controls(current: Self.entry, inOperation: false).isEmpty)
        #expect(throws: SCIMError.self) { try IfMatchCondition("stale").controls(current: Self.entry, inOperation: false) }
        #expect(throws: SCIMError.self) { try IfMatchCondition("stale").verify(Self.entry) }
        try IfMatchCondition(version).verify(Self.entry)
        try IfMatchCondition(nil).verify(Self.entry)
    }

    @Test func aPutPlansOverEverythingAPatchOverWhatItRead() {
        #expect(WritePlan.Source.replacement.membersRead)
        #expect(WritePlan.Source.replacement.removed.isEmpty)
        let patch = WritePlan.Source.patch(membersRead: false, removed: ["active"])
        #expect(!patch.membersRead)
        #expect(patch.removed == ["active"])
    }

    @Test func onlyAnUnfilteredRemoveOfMembersClearsThem() throws {
        let clear = try Self.patch(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}"#)
        let one = try Self.patch(
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"\#(Self.alice)\"]"}]}"#
        )
        let add = try Self.patch(
            #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"\#(Self.alice)"}]},{"op":"remove","path":"displayName"}]}"#
        )
        #expect(ResourcePatch.clearsMembers(clear))
        #expect(!ResourcePatch.clearsMembers(one))
        #expect(!ResourcePatch.clearsMembers(add))
        #expect(ResourcePatch.removed(clear) == ["members"])
        #expect(ResourcePatch.removed(add) == ["displayname"])
    }

    @Test func aRepresentationNamesItsManagerAndMembers() throws {
        let user = try JSONValue.parse(
            Data(#"{"userName":"bjensen","\#(Self.manager)":{"manager":{"value":"\#(Self.alice)"}}}"#.utf8),
            maxDepth: 8, maxBytes: 4096)
        #expect(ReferenceLookup.referencedIDs(in: user, Self.users) == [Self.alice])
        let group: JSONValue = ["displayName": "Ops", "members": [["value": .string(Self.alice)], ["value": .string(Self.bob)]]]
        #expect(ReferenceLookup.referencedIDs(in: group, Self.groups) == [Self.alice, Self.bob])
        #expect(ReferenceLookup.referencedIDs(in: ["displayName": "Empty"], Self.groups).isEmpty)
        // Members stored as DNs: no stored values.
        #expect(ReferenceLookup.memberValues(Self.groups, targets: [:]) == nil)
    }

    @Test func knownTargetsNeedNoSearchAndThePlaceholderIsNoReference() {
        let aliceDN = "uid=alice,ou=people,dc=example,dc=org"
        let known = ReferenceLookup.known([Self.target(Self.alice, aliceDN)], mapped: Self.groups)
        #expect(known[DistinguishedNameKey.key(aliceDN)]?.id == Self.alice)
        let group = LDAPEntry(
            dn: "cn=ops,ou=groups,dc=example,dc=org",
            attributes: [
                .init(
                    description: "member",
                    values: [
                        Array(aliceDN.utf8), Array("cn=nobody,dc=example,dc=org".utf8),
                        Array("uid=bob,ou=people,dc=example,dc=org".utf8),
                    ])
            ])
        let missing = ReferenceLookup.unresolved(in: [group], mapped: Self.groups, kinds: [.members], references: known)
        #expect(missing.dns == ["uid=bob,ou=people,dc=example,dc=org"])
        #expect(missing.values.isEmpty)
    }

    @Test func memberChangesAreOneDeleteAndOneAddByDN() throws {
        let targets = [
            Self.alice: Self.target(Self.alice, "uid=alice,ou=people,dc=example,dc=org"),
            Self.bob: Self.target(Self.bob, "uid=bob,ou=people,dc=example,dc=org"),
        ]
        var changes = PatchApplier.MemberChanges()
        changes.added = [Self.alice]
        changes.removed = [Self.bob]
        let modifications = try MembershipChange.modifications(changes, attribute: "member", mapped: Self.groups, targets: targets)
        let expected: [LDAPModification] = [
            .delete("member", ["uid=bob,ou=people,dc=example,dc=org"]),
            .add("member", ["uid=alice,ou=people,dc=example,dc=org"]),
        ]
        #expect(modifications == expected)
        // An added id that is no resource is refused; a removed one that is gone is simply not removed.
        changes.added = ["11111111-2222-3333-4444-555555555555"]
        #expect(throws: SCIMError.self) {
            try MembershipChange.modifications(changes, attribute: "member", mapped: Self.groups, targets: targets)
        }
        changes.added = []
        changes.removed = ["11111111-2222-3333-4444-555555555555"]
        #expect(try MembershipChange.modifications(changes, attribute: "member", mapped: Self.groups, targets: targets).isEmpty)
    }
}
