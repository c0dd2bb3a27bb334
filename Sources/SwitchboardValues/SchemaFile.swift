import Foundation

/// An emulator's schema file, read as text for its reader.
public enum SchemaFile {
    /// The file's text; one that cannot be read is a `WorkspaceError` naming it at line 1.
    public static func text(at url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw WorkspaceError(diagnostics: [
                Diagnostic(SourceLocation(file: url.lastPathComponent, line: 1, column: 1), "the schema file \(url.path) cannot be read")
            ])
        }
        return String(decoding: data, as: UTF8.self)
    }
}
