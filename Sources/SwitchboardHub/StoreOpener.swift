import Foundation
import Logging
import SwitchboardEngine
import SwitchboardModel
import SwitchboardPostgres
import SwitchboardSQLite

/// Opens the store `store` in switchboard.yaml names: the SQLite file beside the workspace, or
/// the PostgreSQL database that several nodes share.
public enum StoreOpener {
    /// The store of a workspace. A PostgreSQL store connects lazily: call `prepare()` to know
    /// that it can be reached.
    public static func open(root: URL, settings: StoreSettings, logger: Logger = Logger(label: "switchboard.store")) throws -> any HubStore {
        switch settings.kind {
        case .sqlite:
            return try SQLiteMessageStore(path: Hub.storePath(root: root, settings: settings), durability: settings.durability)
        case .postgres:
            guard let text = settings.url else { throw OperationError("store.url is not set; kind: postgres needs the database's URL") }
            switch PostgresURL.parse(text) {
            case .success(let url): return try PostgresMessageStore(url: url, poolSize: settings.poolSize, logger: logger)
            case .failure(let failure): throw OperationError("store.url \(failure)")
            }
        }
    }

    /// Where the store is, for messages: the SQLite file's path, or the database's URL with its
    /// password redacted.
    public static func describe(root: URL, settings: StoreSettings) -> String {
        switch settings.kind {
        case .sqlite: Hub.storePath(root: root, settings: settings)
        case .postgres: settings.url.flatMap { try? PostgresURL.parse($0).get() }.map(\.description) ?? "PostgreSQL"
        }
    }
}
