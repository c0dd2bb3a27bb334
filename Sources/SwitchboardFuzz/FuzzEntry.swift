import Foundation

/// The target this process fuzzes, named by `SWITCHBOARD_FUZZ_TARGET` (libFuzzer owns the command
/// line); nil when it names none.
let selectedTarget: FuzzTarget? = ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_TARGET"].flatMap(FuzzTarget.named)

/// libFuzzer calls this once before the first input: it stops at once, with the list of
/// targets, when `SWITCHBOARD_FUZZ_TARGET` names none, instead of fuzzing nothing.
/// `SWITCHBOARD_FUZZ_TARGET=list` prints each target's name and `-max_len`, a line each, for
/// scripts/fuzz, and exits 0.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
)
    -> Int32
{
    if ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_TARGET"] == "list" {
        print(FuzzTarget.all.map { "\($0.name) \($0.maxLength)" }.joined(separator: "\n"))
        exit(0)
    }
    guard selectedTarget != nil else {
        let given = ProcessInfo.processInfo.environment["SWITCHBOARD_FUZZ_TARGET"].map { " ('\($0)' is none)" } ?? ""
        FileHandle.standardError.write(Data("set SWITCHBOARD_FUZZ_TARGET to one of these targets\(given):\n\(FuzzTarget.listing)\n".utf8))
        exit(2)
    }
    return 0
}

/// libFuzzer's entry point, in every build: the fuzzer build calls it for each input, and the
/// replay tool of a normal build calls the same targets directly. Returns 0: a target has no input
/// to reject, only crashes to find.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = selectedTarget else { return 0 }
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
