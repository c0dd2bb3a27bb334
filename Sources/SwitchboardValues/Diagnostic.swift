/// A position in a workspace file, counted from 1 as editors show it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's path relative to the workspace root, for example `integrations/orders.yaml`.
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a workspace, phrased as a sentence a user can act on.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// One sentence: names the field and says what is wrong, never a Swift type name.
    public var message: String
    /// The `check` rule this problem breaks (for example `SB190`, a secret written inline), if any.
    public var rule: String?

    public init(_ location: SourceLocation, _ message: String, rule: String? = nil) {
        self.location = location
        self.message = message
        self.rule = rule
    }

    /// `file:line:column: message`, the form compilers use so editors can jump to it.
    public var description: String { "\(location): \(message)" }
}

/// Thrown when a workspace cannot be loaded; carries every problem found, not only the first.
public struct WorkspaceError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
