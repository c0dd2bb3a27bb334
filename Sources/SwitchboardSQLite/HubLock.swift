import Foundation

/// A running hub's hold on its SQLite store: a shared `flock` on the file beside it
/// (`state.sqlite.hub-lock`), held from start to stop. The operating system drops it when the
/// process ends in any way, `kill -9` included, so `store restore` and `store migrate` can tell a
/// running hub from a stopped or crashed one. (A leftover `-wal` file could not: a hub that
/// exited cleanly was seen to leave one under load, and a crashed one always does.)
public final class HubLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock for the store at `path`; several hubs on one store may hold it together.
    public init(store path: String) throws {
        let descriptor = open(path + ".hub-lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SQLiteBackupError("cannot open \(path).hub-lock: \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_SH) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw SQLiteBackupError("cannot lock \(path).hub-lock: \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// True while some process holds the lock of the store at `path` (a hub runs on it).
    public static func isHeld(store path: String) -> Bool {
        let descriptor = open(path + ".hub-lock", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(descriptor, LOCK_UN)
        return false
    }
}
