import Foundation
import SwitchboardModel

/// Finds where a field is written in a workspace file, so findings point at the line to change.
final class Locator {
    private let directory: URL
    private var documents: [String: YAMLValue?] = [:]

    init(directory: URL) {
        self.directory = directory
    }

    /// The location of the field at `path` (keys from the document's root) in `file`; when a key
    /// is missing, the nearest field above it; at worst the file's first line.
    func locate(_ file: String, _ path: [String]) -> SourceLocation {
        guard let root = document(file) else { return SourceLocation(file: file, line: 1, column: 1) }
        var current = root
        var location = SourceLocation(file: file, line: 1, column: 1)
        for key in path {
            guard let (value, keyLocation) = current.field(key) else { break }
            location = keyLocation
            current = value
        }
        return location
    }

    private func document(_ file: String) -> YAMLValue? {
        if let known = documents[file] { return known }
        let text = (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? ""
        let value = YAMLValue.document(text, file: file, sink: DiagnosticSink())
        documents[file] = value
        return value
    }
}
