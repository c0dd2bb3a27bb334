import Foundation
import Yams

/// Collects diagnostics while a workspace file is read, so that every problem is reported at once.
package final class DiagnosticSink {
    package private(set) var diagnostics: [Diagnostic] = []

    package init() {}

    package func report(_ location: SourceLocation, _ message: String, rule: String? = nil) {
        diagnostics.append(Diagnostic(location, message, rule: rule))
    }
}

/// A YAML node together with where it came from and the dotted field path that leads to it.
///
/// Accessors report a diagnostic and return nil on a missing or mistyped value instead of throwing,
/// so loading goes on and the user sees every problem in one run.
package struct YAMLValue {
    package let node: Node
    package let file: String
    /// Dotted field path for messages, for example `delivery.backoff.initial`.
    package let path: String
    package let sink: DiagnosticSink

    package var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// Reports a problem at this value; `rule` names the `check` rule it breaks, if any.
    package func report(_ message: String, rule: String? = nil) { sink.report(location, message, rule: rule) }

    /// The root of one YAML document named `file` in messages; nil, with a diagnostic, when the
    /// text is empty or not YAML.
    package static func document(_ text: String, file: String, sink: DiagnosticSink) -> YAMLValue? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                sink.report(SourceLocation(file: file, line: 1, column: 1), "\(file) is empty")
                return nil
            }
            return YAMLValue(node: node, file: file, path: "", sink: sink)
        } catch let error as YamlError {
            sink.report(error.location(file: file), "the file is not valid YAML: \(error.problem)")
            return nil
        } catch {
            sink.report(SourceLocation(file: file, line: 1, column: 1), "the file is not valid YAML")
            return nil
        }
    }

    /// The field `key` of a mapping and where its key is written; nil, without a diagnostic, when
    /// this is not a mapping or has no such field.
    package func field(_ key: String) -> (value: YAMLValue, keyLocation: SourceLocation)? {
        guard case .mapping(let mapping) = node, let entry = mapping.first(where: { $0.key.string == key }) else { return nil }
        let mark = entry.key.mark
        return (
            YAMLValue(node: entry.value, file: file, path: path.isEmpty ? key : "\(path).\(key)", sink: sink),
            SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        )
    }

    /// The node's shape, for readers that accept several (a path, a constant or a function).
    package enum Shape {
        /// A scalar; `inline` when written on its line (plain or quoted), not as a block.
        case scalar(text: String, inline: Bool)
        case sequence
        case mapping
    }

    package var shape: Shape {
        switch node {
        case .scalar(let scalar):
            .scalar(text: scalar.string, inline: scalar.style == .plain || scalar.style == .singleQuoted || scalar.style == .doubleQuoted)
        case .sequence: .sequence
        case .mapping, .alias: .mapping
        }
    }

    package var isNull: Bool {
        if case .scalar(let scalar) = node {
            return scalar.style == .plain && (scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty)
        }
        return false
    }

    /// The value as a string; numbers and booleans written in YAML are accepted as their text.
    package func string() -> String? {
        guard case .scalar(let scalar) = node else {
            report("\(path) must be a text value")
            return nil
        }
        return scalar.string
    }

    package func int(min: Int? = nil) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            report("\(path) must be a whole number")
            return nil
        }
        if let min, value < min {
            report("\(path) must be at least \(min), not \(value)")
            return nil
        }
        return value
    }

    package func double() -> Double? {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string) else {
            report("\(path) must be a number")
            return nil
        }
        return value
    }

    package func bool() -> Bool? {
        guard let value = node.bool else {
            report("\(path) must be true or false")
            return nil
        }
        return value
    }

    /// A duration such as `250ms`, `30s`, `5m`, `1h` or `7d`.
    package func duration() -> Duration? {
        guard case .scalar(let scalar) = node, let value = Duration.parse(scalar.string) else {
            report("\(path) must be a duration such as 250ms, 30s, 5m, 1h or 7d")
            return nil
        }
        return value
    }

    /// One of the given words; the message lists them.
    package func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> T? where T.RawValue == String {
        choice(among: T.allCases.map(\.rawValue)).flatMap(T.init(rawValue:))
    }

    /// One of the given words (a registry's kinds, formats); the message lists them.
    package func choice(among words: [String]) -> String? {
        guard let text = string() else { return nil }
        if words.contains(text) { return text }
        let allowed = words.map { "'\($0)'" }.joined(separator: ", ")
        report("\(path) must be one of \(allowed), not '\(text)'")
        return nil
    }

    package func mapping() -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            report("\(path) must be a mapping of fields")
            return nil
        }
        return YAMLMapping(mapping: mapping, value: self)
    }

    package func sequence() -> [YAMLValue]? {
        guard case .sequence(let sequence) = node else {
            report("\(path) must be a list")
            return nil
        }
        return sequence.enumerated().map { index, node in
            YAMLValue(node: node, file: file, path: "\(path)[\(index)]", sink: sink)
        }
    }

    package func stringList() -> [String]? {
        guard let items = sequence() else { return nil }
        return items.compactMap { $0.string() }
    }

    /// The node as plain JSON, for constants, test inputs and expected bodies.
    package func json() -> JSONValue {
        JSONValue(yaml: node)
    }
}

/// A YAML mapping whose fields are read by name; unknown names are reported so typos do not pass.
package struct YAMLMapping {
    package let mapping: Node.Mapping
    package let value: YAMLValue

    package var location: SourceLocation { value.location }
    package var path: String { value.path }

    private func childPath(_ key: String) -> String { value.path.isEmpty ? key : "\(value.path).\(key)" }

    package subscript(_ key: String) -> YAMLValue? {
        guard let node = mapping[key], !YAMLValue(node: node, file: value.file, path: "", sink: value.sink).isNull else { return nil }
        return YAMLValue(node: node, file: value.file, path: childPath(key), sink: value.sink)
    }

    /// The field, or a diagnostic naming it when it is missing.
    package func required(_ key: String) -> YAMLValue? {
        if let field = self[key] { return field }
        value.report("\(childPath(key)) is required")
        return nil
    }

    package func string(_ key: String) -> String? { self[key]?.string() }
    package func requiredString(_ key: String) -> String? { required(key)?.string() }

    /// Every key with its value, in file order.
    package var entries: [(key: String, keyLocation: SourceLocation, value: YAMLValue)] {
        mapping.compactMap { key, node in
            guard let name = key.string else { return nil }
            let mark = key.mark
            let location = SourceLocation(file: value.file, line: mark?.line ?? 1, column: mark?.column ?? 1)
            return (name, location, YAMLValue(node: node, file: value.file, path: childPath(name), sink: value.sink))
        }
    }

    /// Reports each key that is not among `allowed`, so a misspelt field is not silently ignored.
    package func rejectUnknownKeys(_ allowed: Set<String>) {
        for entry in entries where !allowed.contains(entry.key) {
            let known = allowed.sorted().joined(separator: ", ")
            value.sink.report(entry.keyLocation, "\(childPath(entry.key)) is not a known field here (known: \(known))")
        }
    }
}

extension Duration {
    /// As people write it: `250 ms`, `30 s`, `5 min`, `1.5 h`.
    public var spoken: String {
        let millis = milliseconds
        func whole(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value) }
        if millis < 1_000 { return "\(millis) ms" }
        if millis < 120_000 { return "\(whole(Double(millis) / 1_000)) s" }
        if millis < 7_200_000 { return "\(whole(Double(millis) / 60_000)) min" }
        return "\(whole(Double(millis) / 3_600_000)) h"
    }

    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The longest duration `parse` accepts: 100 years, far beyond any timeout, window or
    /// retention, and far inside what epoch-millisecond arithmetic can hold.
    public static let longestParsed = Duration.seconds(100 * 365 * 86_400)

    /// Parses `250ms`, `30s`, `5m`, `1h`, `7d`; a bare number means seconds. Nil for anything
    /// else, including negative, infinite or not-a-number values and durations longer than
    /// `longestParsed`, so no input can overflow the millisecond arithmetic that follows.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var number = Substring(trimmed)
        var unit = 1.0
        if let (suffix, seconds) = units.first(where: { trimmed.hasSuffix($0.0) }) {
            number = trimmed.dropLast(suffix.count)
            unit = seconds
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let millis = (value * unit * 1000).rounded()
        guard millis <= Double(longestParsed.milliseconds) else { return nil }
        return .milliseconds(Int64(millis))
    }
}

extension YamlError {
    var problem: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        case .duplicatedKeysInMapping(let duplicates, _): return "duplicate key \(duplicates.joined(separator: ", "))"
        default: return String(describing: self).split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }

    func location(file: String) -> SourceLocation {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            return SourceLocation(file: file, line: 1, column: 1)
        }
    }
}
