import SwitchboardValues

/// One row of a table: its id, its column values and its row version.
///
/// Values are kept by logical name in the form the Web API writes them: text, numbers, booleans,
/// ISO 8601 text for dates, and the referenced record's id (lower-case) for a lookup.
public struct StoredRecord: Sendable, Hashable {
    /// Lower-case GUID.
    public var id: String
    public var values: [String: JSONValue]
    /// Increases with every change anywhere in the store; the ETag is `W/"version"`.
    public var version: Int64

    public init(id: String, values: [String: JSONValue], version: Int64) {
        self.id = id
        self.values = values
        self.version = version
    }

    public var etag: String { #"W/"\#(version)""# }
}

/// A removal, kept for change tracking.
public struct Deletion: Sendable, Hashable {
    public var id: String
    public var version: Int64

    public init(id: String, version: Int64) {
        self.id = id
        self.version = version
    }
}
