import ArgumentParser
import Foundation
import SwitchboardHub
import SwitchboardModel
import SwitchboardEngine
import SwitchboardPostgres
import SwitchboardSQLite

/// `switchboard store`: back up and restore the embedded store.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Back up and restore the hub's store.", subcommands: [Backup.self, Restore.self, Migrate.self])

    /// The SQLite store's path, or a sentence for a PostgreSQL store, whose own tools do this.
    static func sqlitePath(_ workspace: WorkspaceOption, verb: String) -> String {
        let settings: StoreSettings
        do { settings = try Workspace.storeSettings(directory: workspace.url) } catch { fail("\(error)") }
        guard settings.kind == .sqlite else {
            fail("the store is PostgreSQL: \(verb) it with PostgreSQL's own tools (pg_dump, pg_restore, or the server's backups), as docs/operations.md says")
        }
        return Hub.storePath(root: workspace.url, settings: settings)
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a consistent copy of the SQLite store to FILE, while the hub runs.")
        @OptionGroup var workspace: WorkspaceOption
        @Argument(help: "The backup file to write; it must not exist.") var file: String

        func run() async throws {
            let path = StoreCommand.sqlitePath(workspace, verb: "back up")
            guard FileManager.default.fileExists(atPath: path) else { fail("no store at \(path); start the hub once with `switchboard run` to create it") }
            do {
                try SQLiteMessageStore(path: path).backup(to: file)
            } catch {
                fail("\(error)")
            }
            print("backed up \(path) to \(file)")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the SQLite store of a stopped hub with the backup in FILE.")
        @OptionGroup var workspace: WorkspaceOption
        @Argument(help: "A backup written by `switchboard store backup`.") var file: String

        func run() async throws {
            let path = StoreCommand.sqlitePath(workspace, verb: "restore")
            do { try SQLiteMessageStore.restore(from: file, to: path) } catch { fail("\(error)") }
            print("restored \(path) from \(file)")
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Copy the SQLite store of a stopped hub (messages in every state, audit, idempotency keys, checkpoints, tokens, pauses) into an empty PostgreSQL database.")
        @OptionGroup var workspace: WorkspaceOption
        @Option(help: "The PostgreSQL database: postgres://user:password@host:5432/database?sslmode=require") var to: String

        func run() async throws {
            let path = StoreCommand.sqlitePath(workspace, verb: "migrate")
            guard FileManager.default.fileExists(atPath: path) else { fail("no store at \(path); there is nothing to migrate") }
            if HubLock.isHeld(store: path) {
                fail("the store \(path) is in use by a running hub: stop the hub first, so that nothing arrives during the copy")
            }
            let url: PostgresURL
            switch PostgresURL.parse(to) {
            case .success(let parsed): url = parsed
            case .failure(let failure): fail("--to \(failure)")
            }
            let target: PostgresMessageStore
            do {
                target = try PostgresMessageStore(url: url, poolSize: 2)
                try await target.prepare()
            } catch {
                fail("\(error)")
            }
            do {
                let counts = try await StoreTransfer.copy(from: try SQLiteMessageStore(path: path), to: target)
                await target.close()
                print(
                    """
                    migrated \(path) to \(url): \(counts.messages) messages, \(counts.audit) audit records, \(counts.idempotencyKeys) idempotency keys, \
                    \(counts.checkpoints) checkpoints, \(counts.tokens) tokens, \(counts.paused) paused integrations
                    now set store: { kind: postgres, url: ... } in switchboard.yaml and start the hub
                    """)
            } catch {
                await target.close()
                fail("\(error)")
            }
        }
    }
}
