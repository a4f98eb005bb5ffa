import Foundation
import LDAPClient
@testable import SCIMLDAP
import SCIMCore
import SCIMTestSupport
import Testing

/// `WritePlan` over the bundled User mapping: what a PUT of a complete representation changes (no directory).
@Suite("Write plan: modifications, renames, active")
struct WritePlanTableUnitTests {
    static let users: ResourceMapping = {
        try! Mapping.load(UnitFixtures.bundledMapping, suffix: "dc=example,dc=org").resourceTypes["User"]!
    }()

    static func values(_ pairs: [(String, [String])]) -> [(String, [[UInt8]])] {
        pairs.map { ($0.0, $0.1.map { Array($0.utf8) }) }
    }

    static let current = LDAPEntry(
        dn: "uid=bjensen,ou=people,dc=example,dc=org",
        attributes: [
            .init(description: "uid", values: [Array("bjensen".utf8)]), .init(description: "cn", values: [Array("Barbara".utf8)]),
            .init(description: "sn", values: [Array("Jensen".utf8)]), .init(description: "title", values: [Array("Guide".utf8)]),
        ])
    static let view = EntryEncoder.Encoded(
        attributes: values([
            ("uid", ["bjensen"]), ("cn", ["Barbara"]), ("sn", ["Jensen"]),
            ("title", ["Guide"]),
        ]), rdnValue: "bjensen")

    static func plan(_ wanted: [(String, [String])], resource: JSONValue = ["userName": "bjensen"]) throws -> WritePlan {
        let encoded = EntryEncoder.Encoded(attributes: values(wanted), rdnValue: wanted.first { $0.0 == "uid" }?.1.first ?? "")
        return try WritePlan(resource, encoded: encoded, over: current, view: view, mapped: users, source: .replacement)
    }

    static func described(_ modifications: [LDAPModification]) -> [String] {
        modifications.map { "\($0.operation) \($0.attribute) \($0.values.map { String(decoding: $0, as: UTF8.self) })" }
    }

    @Test func aChangedTitleIsOneReplace() throws {
        let plan = try Self.plan([("uid", ["bjensen"]), ("cn", ["Barbara"]), ("sn", ["Jensen"]), ("title", ["Chief"])])
        #expect(Self.described(plan.modifications) == [#"replace title ["Chief"]"#])
        #expect(plan.rdnChange == nil)
        #expect(!plan.carriesHidden)
    }

    @Test func aNewUserNameRenamesAndTheModifyDoesTheRest() throws {
        let plan = try Self.plan([("uid", ["babs"]), ("cn", ["Barbara"]), ("sn", ["Jensen"])])
        let rename = try #require(plan.rdnChange)
        #expect(rename.newRDN == "uid=babs")
        // The rename moved uid; what is left is the title the client dropped.
        #expect(Self.described(plan.modifications) == [#"delete title []"#])
    }

    @Test func userNameAndExternalIdAreTheUniqueTypes() {
        #expect(WritePlan.uniqueLDAPTypes(Self.users, type: UnitFixtures.user) == ["uid", "scimexternalid"])
    }

    @Test func activeTouchesOnlyThePermanentLockAndTheMarker() throws {
        let mapping = try #require(Self.users.attributes.first { $0.kind.name == .active })
        guard case .active(let active) = mapping.kind else { throw CancellationError() }
        let unlocked = LDAPEntry(dn: "uid=a", attributes: [])
        let locked = LDAPEntry(
            dn: "uid=a",
            attributes: [
                .init(description: "pwdAccountLockedTime", values: [Array("000001010000Z".utf8)]),
                .init(description: "scimActive", values: [Array("FALSE".utf8)]),
            ])
        #expect(
            Self.described(WritePlan.activeModifications(mapping.ldap, active, wanted: false, current: unlocked))
                == [#"replace pwdAccountLockedTime ["000001010000Z"]"#, #"replace scimActive ["FALSE"]"#])
        #expect(
            Self.described(WritePlan.activeModifications(mapping.ldap, active, wanted: true, current: locked))
                == [#"delete pwdAccountLockedTime ["000001010000Z"]"#, #"replace scimActive ["TRUE"]"#])
        #expect(WritePlan.activeModifications(mapping.ldap, active, wanted: false, current: locked).isEmpty)
        // Removed by the client (PATCH remove active): the permanent lock and the marker go.
        #expect(
            Self.described(WritePlan.activeModifications(mapping.ldap, active, wanted: nil, current: locked))
                == [#"delete pwdAccountLockedTime ["000001010000Z"]"#, #"delete scimActive []"#])
    }
}
