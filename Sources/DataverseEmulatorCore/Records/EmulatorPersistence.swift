/// Where the emulator keeps its records across restarts; the default keeps them in memory only.
/// The command-line tool provides one over a SQLite file (`--state FILE`).
public protocol EmulatorPersistence: Sendable {
    /// What was saved before, or nil for a new file.
    func load() throws -> SavedRecords?
    /// Writes committed changes; `version` is the store's row version after them.
    func save(_ changes: [ChangeEvent], version: Int64) throws
    /// Forgets every record and starts the change history again (`POST /_emulator/reset`, and a
    /// new file).
    func clear(startingAfresh history: ChangeHistory) throws
}

/// Records and deletions as saved, by table logical name.
public struct SavedRecords: Sendable {
    public var records: [String: [StoredRecord]]
    public var deletions: [String: [Deletion]]
    public var version: Int64
    /// Since when the changes are known; nil in a file written before this was kept.
    public var history: ChangeHistory?

    public init(records: [String: [StoredRecord]], deletions: [String: [Deletion]], version: Int64, history: ChangeHistory? = nil) {
        self.records = records
        self.deletions = deletions
        self.version = version
        self.history = history
    }
}
