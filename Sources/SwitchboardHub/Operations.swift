import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardSQLite

/// `messages`, `dlq` and `audit`: read and change the store of a running or stopped hub.
///
/// SQLite in WAL mode lets these run beside a hub; a change (replay, discard) waits for the
/// hub's write lock and is picked up by its next claim.
public struct Operations: Sendable {
    public let store: any HubStore
    let clock: any WallClock

    /// Opens the store a workspace names, reading only its `store` settings.
    /// - Parameter creating: Create the store when there is none yet (for tokens made before the hub first runs).
    public init(workspace directory: URL, creating: Bool = false) throws {
        let settings = try Workspace.storeSettings(directory: directory)
        if settings.kind == .sqlite {
            let path = Hub.storePath(root: directory, settings: settings)
            guard creating || FileManager.default.fileExists(atPath: path) else {
                throw OperationError("no store at \(path); start the hub once with `switchboard run` to create it")
            }
        }
        self.init(store: try StoreOpener.open(root: directory, settings: settings))
    }

    public init(store: any HubStore, clock: any WallClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }
}

/// A command that cannot do what was asked, in one sentence.
public struct OperationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
