import Foundation
import SCIMCore
import SCIMFuzzEntryPoints
import Testing

/// Replays the committed libFuzzer corpus (scripts/fuzz.sh) through the same entry points as the fuzz targets, so
/// every input that ever found new behaviour — crashes found included — keeps being exercised by `swift test`.
@Suite("Fuzz corpus replay")
struct FuzzCorpusReplayTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzCorpus")

    @Test(arguments: FuzzEntryPoints.Target.allCases)
    func corpusRunsWithoutTrapping(target: FuzzEntryPoints.Target) throws {
        let fixture = try FuzzEntryPoints.Fixture(
            schemaDirectory: URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().appendingPathComponent("../../schema/scim").standardizedFileURL)
        let directory = Self.folder.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count >= 5, "the \(target.rawValue) corpus is missing")
        for name in files {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            FuzzEntryPoints.run(target, bytes, fixture: fixture)
        }
    }

    /// Deep nesting is refused by the limits instead of recursing without bound.
    @Test func deepNestingIsBounded() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: SCIMError.self) { _ = try JSONValue.parse(Data(deep.utf8), maxDepth: 64, maxBytes: 1 << 20) }
        let filter = String(repeating: "(", count: 10_000) + "userName eq \"x\"" + String(repeating: ")", count: 10_000)
        #expect(throws: SCIMError.self) { _ = try SCIMFilter.parse(filter) }
        let notChain = String(repeating: "not (", count: 5_000) + "title pr" + String(repeating: ")", count: 5_000)
        #expect(throws: SCIMError.self) { _ = try SCIMFilter.parse(notChain) }
    }
}
