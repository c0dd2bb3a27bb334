import DataverseEmulatorCore
import Foundation
import GRDB
import SwitchboardValues

/// The Dataverse emulator's records in a SQLite file (`switchboard emulate dataverse --state FILE`),
/// so they survive a restart. Each request's committed changes are written in one transaction
/// before its answer is sent.
public final class SQLiteEmulatorState: EmulatorPersistence {
    private let queue: DatabaseQueue

    public init(path: String) throws {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: emulator records") { db in
            try db.execute(
                sql: """
                    CREATE TABLE records (table_name TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, vals BLOB NOT NULL, PRIMARY KEY (table_name, id)) WITHOUT ROWID;
                    CREATE TABLE deletions (table_name TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL);
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                    """)
        }
        try migrator.migrate(queue)
    }

    public func load() throws -> SavedRecords? {
        try queue.read { db in
            guard let version = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'version'") else { return nil }
            var records: [String: [StoredRecord]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT table_name, id, version, vals FROM records") {
                guard case .object(let values) = try JSONValue(json: [UInt8](row["vals"] as Data)) else { continue }
                records[row["table_name"], default: []].append(StoredRecord(id: row["id"], values: values, version: row["version"]))
            }
            var deletions: [String: [Deletion]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT table_name, id, version FROM deletions ORDER BY version") {
                deletions[row["table_name"], default: []].append(Deletion(id: row["id"], version: row["version"]))
            }
            var history: ChangeHistory?
            if let first = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'history_version'"),
                let since = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'history_since'")
            {
                history = ChangeHistory(firstVersion: first, since: Date(timeIntervalSince1970: TimeInterval(since)))
            }
            return SavedRecords(records: records, deletions: deletions, version: version, history: history)
        }
    }

    public func save(_ changes: [ChangeEvent], version: Int64) throws {
        try queue.write { db in
            for change in changes {
                switch change.message {
                case .create, .update:
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO records (table_name, id, version, vals) VALUES (?, ?, ?, ?)",
                        arguments: [change.table, change.record.id, change.record.version, Data(JSONValue.object(change.record.values).serialized())])
                case .delete:
                    try db.execute(sql: "DELETE FROM records WHERE table_name = ? AND id = ?", arguments: [change.table, change.record.id])
                    try db.execute(
                        sql: "INSERT INTO deletions (table_name, id, version) VALUES (?, ?, ?)", arguments: [change.table, change.record.id, version])
                }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?)", arguments: [version])
        }
    }

    public func clear(startingAfresh history: ChangeHistory) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM records; DELETE FROM deletions; DELETE FROM meta")
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('history_version', ?), ('history_since', ?)",
                arguments: [history.firstVersion, Int64(history.since.timeIntervalSince1970.rounded(.down))])
        }
    }
}
