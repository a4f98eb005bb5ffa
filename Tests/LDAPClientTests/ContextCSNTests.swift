import LDAPClient
import Testing

@Suite("contextCSN: replication state per server id")
struct ContextCSNTests {
    static let a1 = "20261203133513.527923Z#000000#001#000000"
    static let a2 = "20261203133514.000001Z#000000#001#000000"
    static let b1 = "20261203133513.841533Z#000000#002#000000"
    static let b2 = "20261203133515.100000Z#000003#002#000000"

    @Test func coversWhenEveryServerIdIsAtLeastAsNew() {
        let newer = ContextCSN(values: [Self.a2, Self.b2])
        let older = ContextCSN(values: [Self.a1, Self.b1])
        #expect(newer.covers(older))
        #expect(!older.covers(newer))
        #expect(newer.covers(newer))
        #expect(newer.covers(.empty))
    }

    @Test func aServerIdNeverSeenIsNotCovered() {
        let onlyA = ContextCSN(values: [Self.a2])
        #expect(!onlyA.covers(ContextCSN(values: [Self.b1])))
        #expect(!ContextCSN.empty.covers(onlyA))
    }

    @Test func mergedKeepsTheNewestPerServerId() {
        let merged = ContextCSN(values: [Self.a2, Self.b1]).merged(with: ContextCSN(values: [Self.a1, Self.b2]))
        #expect(merged.bySID == ["001": Self.a2, "002": Self.b2])
        #expect(merged.covers(ContextCSN(values: [Self.a1, Self.a2, Self.b1, Self.b2])))
    }

    @Test func malformedValuesAreIgnored() {
        let state = ContextCSN(values: ["garbage", "", "1#2#3", Self.a1])
        #expect(state.bySID == ["001": Self.a1])
    }
}
