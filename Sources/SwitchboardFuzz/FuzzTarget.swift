import Foundation

/// One fuzz target: a parser of input the hub or the emulator reads, driven the way the product
/// drives it.
///
/// Guarantee every target keeps: no input crashes it. A parser's thrown error or diagnostic is the
/// normal answer to bad input; a trap (an overflow, an index out of range, a failed `precondition`
/// on a documented guarantee such as "a value read back is the same value") is a bug to fix in the
/// product, with the input added to `Fuzz/corpus/NAME/`.
struct FuzzTarget: Sendable {
    /// The name `SWITCHBOARD_FUZZ_TARGET` and the replay tool take, and the corpus folder's.
    let name: String
    /// What it reads, in one line, for the usage message and docs/fuzzing.md.
    let summary: String
    /// The `-max_len` scripts/fuzz gives libFuzzer: large enough for the corpus's largest file
    /// with room to grow.
    let maxLength: Int
    /// Runs one input.
    let run: @Sendable ([UInt8]) -> Void

    /// Every target, in the order scripts/fuzz runs them.
    static let all: [FuzzTarget] = [.json, .workspace, .scalars, .steps, .filter, .key, .batch, .webhook, .retryAfter, .schema, .financeOperations]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The list of targets with their summaries, for usage messages.
    static var listing: String { all.map { "  \($0.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n") }
}

/// How the targets that read several things cut one input into them.
enum FuzzInput {
    /// The line between parts: `#%%`, a YAML comment, so a mutated part stays readable YAML.
    static let separator = "\n#%%\n"

    /// The input as text: invalid UTF-8 becomes U+FFFD, as the readers of files and request
    /// bodies decode it.
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The parts of `text` between `separator` lines; at least one.
    static func parts(_ text: String) -> [String] { text.components(separatedBy: separator) }

    /// An HTTP message's head and body: header lines up to the first empty line (CRLF or LF), each
    /// `Name: value` with the name lower-cased, then the body's bytes as they are.
    static func message(_ bytes: [UInt8]) -> (headers: [String: String], body: [UInt8]) {
        var headers: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            let end = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = bytes[index..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            index = min(end + 1, bytes.count)
            if line.isEmpty { break }
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (headers, Array(bytes[index...]))
    }
}
