import Foundation
import GRDB

/// `store backup` and `store restore` of the embedded store.
extension SQLiteMessageStore {
    /// Writes a consistent copy of the store to `path` while the hub runs: SQLite's online
    /// backup, page by page, of one snapshot; writers wait only for the moments it copies.
    /// Refuses to overwrite an existing file.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw SQLiteBackupError("\(path) exists; name a new file for the backup") }
        let destination = try DatabaseQueue(path: path)
        try pool.backup(to: destination)
        try destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        try destination.close()
    }

    /// Replaces the store at `path` with the backup at `backup`, after checking that the backup
    /// is a Switchboard store. No hub may be running on the store (`HubLock`); what the old store
    /// left in its `-wal` and `-shm` files goes with it.
    public static func restore(from backup: String, to path: String) throws {
        guard FileManager.default.fileExists(atPath: backup) else { throw SQLiteBackupError("no backup at \(backup)") }
        if HubLock.isHeld(store: path) {
            throw SQLiteBackupError("the store \(path) is in use by a running hub: stop the hub first")
        }
        var configuration = Configuration()
        configuration.readonly = true
        let applied: [String]
        do {
            let queue = try DatabaseQueue(path: backup, configuration: configuration)
            applied = try queue.read { db in
                guard try db.tableExists("messages"), try db.tableExists("grdb_migrations") else { return [] }
                return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            try queue.close()
        } catch {
            throw SQLiteBackupError("\(backup) is not a SQLite database: \(error)")
        }
        guard !applied.isEmpty else { throw SQLiteBackupError("\(backup) is not a Switchboard store (it has no messages table)") }
        let known = Set(SQLiteSchema.migrator.migrations)
        if let newer = applied.first(where: { !known.contains($0) }) {
            throw SQLiteBackupError("\(backup) was written by a newer Switchboard (migration '\(newer)'); restore it with that version")
        }
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        let staging = path + ".restoring"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.copyItem(atPath: backup, toPath: staging)
        // The old store's write-ahead log must not be applied to the restored one.
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")
        guard rename(staging, path) == 0 else { throw SQLiteBackupError("cannot replace \(path): \(String(cString: strerror(errno)))") }
    }
}

/// A backup or restore that cannot be done, in one sentence.
public struct SQLiteBackupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
