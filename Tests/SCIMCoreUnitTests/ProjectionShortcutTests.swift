import OrderedCollections
@testable import SCIMCore
import Testing

/// The default projection's shortcut (return the resource as it is) must agree with deciding member by member.
@Suite("Default projection shortcut")
struct ProjectionShortcutTests {
    /// bjensen with one change each: some need the full rebuild, some do not.
    static let variants: [(String, @Sendable (inout OrderedDictionary<String, JSONValue>) -> Void)] = [
        ("as is (holds a password)", { _ in }),
        ("without password", { $0["password"] = nil }),
        (
            "empty array",
            {
                $0["password"] = nil; $0["photos"] = .array([])
            }
        ),
        (
            "null member",
            {
                $0["password"] = nil; $0["nickName"] = .null
            }
        ),
        (
            "empty extension",
            {
                $0["password"] = nil; $0[enterpriseURN] = .object([:])
            }
        ),
        (
            "empty complex value",
            {
                $0["password"] = nil; $0["name"] = .object([:])
            }
        ),
        (
            "empty element",
            {
                $0["password"] = nil; $0["emails"] = .array([.object([:]), .object(["value": .string("a@b.c")])])
            }
        ),
        (
            "password spelt in capitals",
            {
                $0["password"] = nil; $0["PASSWORD"] = .string("secret")
            }
        ),
        (
            "empty extension, its URN in capitals",
            {
                $0["password"] = nil; $0[enterpriseURN.uppercased()] = .object([:])
            }
        ),
        (
            "unknown member",
            {
                $0["password"] = nil; $0["x-unknown"] = .string("kept")
            }
        ),
        (
            "unknown sub-attribute",
            {
                $0["password"] = nil; $0["name"] = .object(["givenName": .string("B"), "nope": .bool(true)])
            }
        ),
        (
            "non-object element",
            {
                $0["password"] = nil; $0["emails"] = .array([.string("odd")])
            }
        ),
    ]

    @Test("agrees with the member-by-member projection", arguments: variants.indices)
    func agrees(index: Int) throws {
        guard case .object(var members) = bjensen else { Issue.record("bjensen is not an object"); return }
        Self.variants[index].1(&members)
        let resource = JSONValue.object(members)
        let fast = Projection.all.apply(to: resource, type: userType)
        let slow = Projection.all.rebuild(members, type: userType)
        #expect(fast == slow, "\(Self.variants[index].0)")
    }

    @Test func theShortcutIsTakenOnlyWhenNothingChanges() {
        guard case .object(var members) = bjensen else { Issue.record("bjensen is not an object"); return }
        #expect(!userType.defaultReturn.keepsAll(members))  // a password is never returned
        members["password"] = nil
        #expect(userType.defaultReturn.keepsAll(members))
        members["photos"] = .array([])
        #expect(!userType.defaultReturn.keepsAll(members))
        members["photos"] = nil
        members["PassWord"] = .string("secret")  // names are case-insensitive: still never returned
        #expect(!userType.defaultReturn.keepsAll(members))
    }
}
