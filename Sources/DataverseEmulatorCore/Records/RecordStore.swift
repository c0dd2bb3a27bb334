import Foundation
import SwitchboardValues
import Synchronization

/// The emulator's records, in memory, behind one lock: every operation is atomic, and a
/// transaction (a `$batch` change set, a bulk message) commits all of its changes or none.
public final class RecordStore: Sendable {
    public let schema: EmulatorSchema
    private let tables: Mutex<RecordTables>

    public init(schema: EmulatorSchema, clock: @escaping @Sendable () -> Date = Date.init) {
        self.schema = schema
        self.tables = Mutex(RecordTables(schema: schema, clock: clock))
    }

    /// Runs `body` on the live tables; a change made before `body` throws stays made, so
    /// operations check before they change.
    public func write<T>(_ body: (inout RecordTables) throws(DataverseError) -> T) throws(DataverseError) -> T {
        try tables.withLock { tables throws(DataverseError) in try body(&tables) }
    }

    /// Runs `body` on a copy of the tables and keeps the copy only when `body` returns.
    public func transaction<T, Failure: Error>(_ body: (inout RecordTables) throws(Failure) -> T) throws(Failure) -> T {
        try tables.withLock { tables throws(Failure) in
            var draft = tables
            let result = try body(&draft)
            tables = draft
            return result
        }
    }

    /// The tables as they are now, to read without holding the lock (copy on write).
    public func snapshot() -> RecordTables {
        tables.withLock { $0 }
    }

    /// Removes every record and deletion.
    /// Row versions go on from where they were, and the change history starts again: a delta
    /// token issued before the reset is refused rather than answered with only later changes.
    public func reset() {
        tables.withLock { tables in
            let (last, recordsEvents) = (tables.version, tables.recordsEvents)
            tables = RecordTables(schema: schema, clock: tables.clock, startingVersion: last)
            // The state file and registered webhooks go on being told of changes.
            tables.recordsEvents = recordsEvents
            tables.history = ChangeHistory(firstVersion: last + 1, since: tables.clock())
        }
    }

    /// Turns recording of change events on or off (on while webhooks are registered).
    public func recordEvents(_ on: Bool) {
        tables.withLock { $0.recordsEvents = on }
    }

    /// The changes committed since the last call, oldest first.
    public func drainEvents() -> [ChangeEvent] {
        tables.withLock { tables in
            defer { tables.events.removeAll() }
            return tables.events
        }
    }

    /// Starts from saved records, rebuilding the alternate-key indexes.
    public func restore(_ saved: SavedRecords) {
        tables.withLock { tables in
            var restored = RecordTables(schema: schema, clock: tables.clock)
            restored.recordsEvents = tables.recordsEvents
            for table in schema.tables {
                var data = RecordTables.TableData()
                for record in saved.records[table.logicalName] ?? [] {
                    data.records[record.id] = record
                    for key in table.keys {
                        if let value = RecordTables.keyString(key, record.values) { data.keys[key.logicalName, default: [:]][value] = record.id }
                    }
                }
                data.deletions = saved.deletions[table.logicalName] ?? []
                restored.tables[table.logicalName] = data
            }
            restored.version = max(restored.version, saved.version)
            // A state file from before the history was kept answers every token it can.
            restored.history = saved.history ?? ChangeHistory(firstVersion: 0, since: .distantPast)
            tables = restored
        }
    }

    /// The current row version.
    public var version: Int64 { tables.withLock { $0.version } }

    /// Since when the changes are known.
    public var history: ChangeHistory { tables.withLock { $0.history } }
}

/// Since when the emulator knows its tables' changes: from its start in memory, from the state
/// file's creation with `--state`, and from the last `POST /_emulator/reset`. A delta token
/// issued before that cannot be answered truthfully, so it is refused.
public struct ChangeHistory: Sendable, Hashable {
    /// The oldest row version a delta token may stand for.
    public var firstVersion: Int64
    /// When the history began; a token issued in an earlier second is refused.
    public var since: Date

    public init(firstVersion: Int64, since: Date) {
        self.firstVersion = firstVersion
        self.since = since
    }
}

/// Every table's rows, alternate-key indexes and the deletions change tracking reports.
///
/// Guarantees: alternate keys are unique across a table; every change takes the next row
/// version, store-wide, so versions order all changes.
public struct RecordTables: Sendable {
    public let schema: EmulatorSchema
    let clock: @Sendable () -> Date
    var tables: [String: TableData] = [:]
    /// The highest row version any change has taken.
    public internal(set) var version: Int64
    /// Since when changes are known (delta tokens from before are refused).
    public internal(set) var history: ChangeHistory
    /// Whether changes are recorded in `events` (for webhooks).
    var recordsEvents = false
    /// Changes not yet handed to the webhooks; a rolled-back transaction takes its events with it.
    var events: [ChangeEvent] = []
    /// Records created, updated and deleted since the start or the last reset.
    public internal(set) var changeCounts: [ChangeEvent.Message: Int] = [:]

    struct TableData: Sendable {
        var records: [String: StoredRecord] = [:]
        /// Alternate key name to the key's values (joined) to the record id.
        var keys: [String: [String: String]] = [:]
        var deletions: [Deletion] = []
    }

    /// - Parameter startingVersion: The row version before the first change. Default 1,000.
    init(schema: EmulatorSchema, clock: @escaping @Sendable () -> Date, startingVersion: Int64 = 1_000) {
        self.schema = schema
        self.clock = clock
        self.version = startingVersion
        self.history = ChangeHistory(firstVersion: 0, since: clock())
        for table in schema.tables { tables[table.logicalName] = TableData() }
        let created = ValueCoercion.formatDate(clock())
        for row in SystemTables.rows(for: schema) where tables[row.table.logicalName] != nil {
            version += 1
            var values = row.values
            values[SystemColumns.createdOn] = .string(created)
            values[SystemColumns.modifiedOn] = .string(created)
            values[SystemColumns.versionNumber] = .int(version)
            tables[row.table.logicalName]?.records[row.id] = StoredRecord(id: row.id, values: values, version: version)
        }
    }

    /// How an upsert or update treats a record that does or does not exist.
    public enum WriteCondition: Sendable, Hashable {
        /// Create or update (PATCH without conditions).
        case upsert
        /// `If-Match: *`: update only.
        case updateOnly
        /// `If-None-Match: *`: create only.
        case createOnly
        /// `If-Match: W/"n"`: update only, and only at this version.
        case version(String)
    }

    // MARK: - Writes

    /// Creates a record; `id` comes from the body's primary id, or is new.
    public mutating func create(_ table: TableSchema, _ payload: RecordPayload) throws(DataverseError) -> StoredRecord {
        let id =
            payload.values[table.primaryIDAttribute].flatMap { if case .string(let id) = $0 { id } else { nil } } ?? UUID().uuidString.lowercased()
        guard tables[table.logicalName]!.records[id] == nil else { throw DataverseError.recordExists }
        return try insert(table, id: id, payload)
    }

    /// Applies `payload` to the record `key` names, creating it when the condition allows.
    /// Returns the record and whether it was created.
    public mutating func upsert(
        _ table: TableSchema, key: RecordKey, _ payload: RecordPayload, condition: WriteCondition
    ) throws(DataverseError) -> (record: StoredRecord, created: Bool) {
        let existing = try find(table, key)
        if let existing {
            switch condition {
            case .createOnly: throw DataverseError.recordExists
            case .version(let etag) where etag != existing.etag: throw DataverseError.versionMismatch
            default: break
            }
            // Key columns are taken out of the body before an update (documented upsert behaviour).
            var update = payload
            if case .alternate(let parts) = key {
                for property in parts.keys {
                    if let column = table.column(property: property) {
                        update.values[column.logicalName] = nil; update.binds[column.logicalName] = nil
                    }
                }
            }
            let record = try store(table, id: existing.id, base: existing.values, update)
            note(.update, table, record, before: existing)
            return (record, false)
        }
        switch condition {
        case .updateOnly, .version: throw DataverseError.upsertTargetMissing(table: table.logicalName, id: key.urlText)
        case .upsert, .createOnly: break
        }
        // Key values are copied into the new record unless the body has them (the body wins).
        var create = payload
        var id = UUID().uuidString.lowercased()
        switch key {
        case .id(let keyID): id = keyID
        case .alternate(let parts):
            for (property, literal) in parts {
                guard let column = table.column(property: property) else { continue }
                if column.type == .uniqueIdentifier { id = RecordKey.normalizedGUID(literal.text) ?? id; continue }
                if case .lookup(let target) = column.type {
                    if create.binds[column.logicalName] == nil, let targetTable = schema.table(logicalName: target) {
                        create.binds[column.logicalName] = RecordPayload.BindTarget(entitySet: targetTable.entitySetName, key: .id(literal.text))
                    }
                } else if create.values[column.logicalName] == nil {
                    create.values[column.logicalName] = ValueCoercion.keyValue(literal, column: column)
                }
            }
        }
        return (try insert(table, id: id, create), true)
    }

    /// Deletes the record `key` names; `etag`, when given, must be the record's.
    public mutating func delete(_ table: TableSchema, key: RecordKey, etag: String? = nil) throws(DataverseError) {
        guard let existing = try find(table, key) else { throw DataverseError.recordNotFound(table: table.logicalName, id: key.urlText) }
        if let etag, etag != "*", etag != existing.etag { throw DataverseError.versionMismatch }
        version += 1
        var data = tables.removeValue(forKey: table.logicalName)!
        defer { tables[table.logicalName] = data }
        data.records[existing.id] = nil
        for alternate in table.keys {
            if let value = Self.keyString(alternate, existing.values) { data.keys[alternate.logicalName]?[value] = nil }
        }
        data.deletions.append(Deletion(id: existing.id, version: version))
        note(.delete, table, existing, before: existing)
    }

    // MARK: - Reads

    public func retrieve(_ table: TableSchema, key: RecordKey) throws(DataverseError) -> StoredRecord {
        guard let found = try find(table, key) else { throw DataverseError.recordNotFound(table: table.logicalName, id: key.urlText) }
        return found
    }

    /// Every record of the table, oldest first.
    public func all(_ table: TableSchema) -> [StoredRecord] {
        tables[table.logicalName]!.records.values.sorted {
            ($0.values[SystemColumns.createdOn]?.text ?? "", $0.id) < ($1.values[SystemColumns.createdOn]?.text ?? "", $1.id)
        }
    }

    /// Number of records in the table.
    public func count(_ table: TableSchema) -> Int {
        tables[table.logicalName]!.records.count
    }

    /// The record with this id in a table, for formatted lookup names.
    func record(table: String, id: String) -> StoredRecord? {
        tables[table]?.records[id]
    }

    /// Records changed after `version` (oldest change first) and deletions after it, with the version now.
    func changes(_ table: TableSchema, since version: Int64) -> (changed: [StoredRecord], deleted: [Deletion], now: Int64) {
        let data = tables[table.logicalName]!
        let changed = data.records.values.filter { $0.version > version }.sorted { $0.version < $1.version }
        let deleted = data.deletions.filter { $0.version > version }
        return (changed, deleted, self.version)
    }

    // MARK: - Helpers

    func find(_ table: TableSchema, _ key: RecordKey) throws(DataverseError) -> StoredRecord? {
        let data = tables[table.logicalName]!
        switch key {
        case .id(let id):
            return data.records[id]
        case .alternate(let parts):
            if parts.count == 1, let (name, literal) = parts.first, name == table.primaryIDAttribute {
                guard let id = RecordKey.normalizedGUID(literal.text) else { throw DataverseError.invalidKey(table: table) }
                return data.records[id]
            }
            var values: [String: JSONValue] = [:]
            for (property, literal) in parts {
                guard let column = table.column(property: property) else { throw DataverseError.invalidKey(table: table) }
                values[column.logicalName] = ValueCoercion.keyValue(literal, column: column)
            }
            guard let alternate = table.keys.first(where: { Set($0.columns) == Set(values.keys) }) else {
                throw DataverseError.invalidKey(table: table)
            }
            guard let keyValue = Self.keyString(alternate, values), let id = data.keys[alternate.logicalName]?[keyValue] else { return nil }
            return data.records[id]
        }
    }

    private mutating func insert(_ table: TableSchema, id: String, _ payload: RecordPayload) throws(DataverseError) -> StoredRecord {
        var values: [String: JSONValue] = [:]
        values[table.primaryIDAttribute] = .string(id)
        values[SystemColumns.createdOn] = .string(ValueCoercion.formatDate(clock()))
        let record = try store(table, id: id, base: values, payload)
        note(.create, table, record, before: nil)
        return record
    }

    private mutating func note(_ message: ChangeEvent.Message, _ table: TableSchema, _ record: StoredRecord, before: StoredRecord?) {
        changeCounts[message, default: 0] += 1
        guard recordsEvents else { return }
        events.append(ChangeEvent(message: message, table: table.logicalName, record: record, before: before))
    }

    private mutating func store(
        _ table: TableSchema, id: String, base: [String: JSONValue], _ payload: RecordPayload
    ) throws(DataverseError) -> StoredRecord {
        var values = base
        for (name, value) in payload.values where name != table.primaryIDAttribute { values[name] = value }
        for (name, target) in payload.binds {
            guard let target else { values[name] = .null; continue }
            guard let column = table.column(name), case .lookup(let targetName) = column.type, let targetTable = schema.table(logicalName: targetName)
            else { continue }
            guard target.entitySet == targetTable.entitySetName else {
                throw DataverseError.badRequest(
                    "'\(name)@odata.bind' must reference a \(targetName) record (/\(targetTable.entitySetName)(...)), not \(target.entitySet).")
            }
            guard let referenced = try find(targetTable, target.key) else {
                throw DataverseError.recordNotFound(table: targetName, id: target.key.urlText)
            }
            values[name] = .string(referenced.id)
        }
        // Taken out and put back, so the dictionaries are changed in place rather than copied.
        var data = tables.removeValue(forKey: table.logicalName)!
        defer { tables[table.logicalName] = data }
        let previous = data.records[id]
        // Alternate keys stay unique.
        for alternate in table.keys {
            guard let keyValue = Self.keyString(alternate, values) else { continue }
            if let holder = data.keys[alternate.logicalName]?[keyValue], holder != id {
                let shown = alternate.columns.map { values[$0]?.text ?? "" }.joined(separator: ", ")
                throw DataverseError.duplicateKey(values: shown, key: alternate)
            }
        }
        for alternate in table.keys {
            if let previous, let old = Self.keyString(alternate, previous.values) { data.keys[alternate.logicalName]?[old] = nil }
            if let new = Self.keyString(alternate, values) { data.keys[alternate.logicalName, default: [:]][new] = id }
        }
        version += 1
        values[SystemColumns.modifiedOn] = .string(ValueCoercion.formatDate(clock()))
        values[SystemColumns.versionNumber] = .int(version)
        let record = StoredRecord(id: id, values: values, version: version)
        data.records[id] = record
        return record
    }

    /// The key's values joined, or nil when one of them is empty (such records are not indexed).
    static func keyString(_ key: AlternateKey, _ values: [String: JSONValue]) -> String? {
        var parts: [String] = []
        for column in key.columns {
            guard let value = values[column], value != .null else { return nil }
            // Text keys compare without regard to case, as SQL Server's default collation does.
            parts.append(value.text.lowercased())
        }
        return parts.joined(separator: "\u{1F}")
    }
}

/// A committed change, as webhooks are told of it.
public struct ChangeEvent: Sendable {
    /// The Dataverse message names webhooks register for.
    public enum Message: String, Sendable, CaseIterable {
        case create = "Create", update = "Update", delete = "Delete"
    }

    public var message: Message
    public var table: String
    /// The record after the change (before it, for a delete).
    public var record: StoredRecord
    /// The record before the change, for updates and deletes.
    public var before: StoredRecord?
}
