import Foundation
import SCIMCore
import SCIMFuzzEntryPoints

/// libFuzzer entry: the target is chosen by SCIM_FUZZ_TARGET (filter, path or body); schemas come from the
/// checkout this file was built from.
nonisolated(unsafe) private var state: (target: FuzzEntryPoints.Target, fixture: FuzzEntryPoints.Fixture)?

/// Loads the schemas once, before fuzzing starts (so their memory is not taken for a per-input leak).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutableRawPointer?) -> Int32 {
    prepare()
    return 0
}

private func prepare() {
    if state == nil {
        let name = ProcessInfo.processInfo.environment["SCIM_FUZZ_TARGET"] ?? "filter"
        guard let target = FuzzEntryPoints.Target(rawValue: name) else { fatalError("unknown SCIM_FUZZ_TARGET \(name)") }
        let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../../schema/scim").standardizedFileURL
        do {
            state = (target, try FuzzEntryPoints.Fixture(schemaDirectory: schemas))
        } catch {
            fatalError("cannot load schemas from \(schemas.path): \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    prepare()
    guard let state, let data else { return 0 }
    FuzzEntryPoints.run(state.target, Array(UnsafeBufferPointer(start: data, count: size)), fixture: state.fixture)
    return 0
}

// SwiftPM renames an executable's entry point to `<module>_main` and links `main` to it; libFuzzer's driver is
// started from there with the input callback above.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("SCIMFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return runDriver(&count, &vector) { data, size in fuzzOneInput(data, size) }
}
