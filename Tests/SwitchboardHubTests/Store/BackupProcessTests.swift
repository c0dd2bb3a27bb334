import Foundation
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// `switchboard store backup` and `store restore` with the real binary.
@Suite("Store backup and restore")
struct BackupProcessTests {
    @Test("a backup taken while the hub runs restores into the stopped workspace with what was stored at that moment; restore refuses a running hub and a file that is no store")
    func backupAndRestore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try ProcessTests().crashWorkspace(directory, sinkPort: 9)
        // Held: stored, never delivered, so the backup's content is known exactly.
        let hub = try await RunningBinary(workspace: directory.url, extraArguments: ["--hold"])
        let before = await postNumbered(0..<40, port: hub.port)
        #expect(before.count == 40)
        let backup = directory.url.appendingPathComponent("backup.sqlite").path
        let taken = try await Binary.run(["store", "backup", "-w", directory.path, backup])
        #expect(taken.status == 0, "\(taken)")
        #expect(try await Binary.run(["store", "backup", "-w", directory.path, backup]).error.contains("exists"))
        let refused = try await Binary.run(["store", "restore", "-w", directory.path, backup])
        #expect(refused.status == 1 && refused.error.contains("in use by a running hub: stop the hub first"), "\(refused)")
        let after = await postNumbered(40..<60, port: hub.port)
        #expect(after.count == 20)
        #expect(await hub.terminate() == 0)

        try directory.write("not-a-store.sqlite", "hello")
        let garbage = try await Binary.run(["store", "restore", "-w", directory.path, directory.url.appendingPathComponent("not-a-store.sqlite").path])
        #expect(garbage.status == 1 && garbage.error.contains("not a SQLite database"), "\(garbage)")

        let restored = try await Binary.run(["store", "restore", "-w", directory.path, backup])
        #expect(restored.status == 0, "\(restored)")
        let listed = try await Binary.run(["messages", "list", "-w", directory.path, "--limit", "1000", "--json"])
        let ids = Set(before.map(\.id))
        for id in ids { #expect(listed.output.contains(id)) }
        for id in after.map(\.id) { #expect(!listed.output.contains(id), "a message stored after the backup came back") }

        // A hub killed with -9 holds nothing: the store restores without starting it again, and
        // what the killed hub left in its write-ahead log does not reach the restored store.
        let killed = try await RunningBinary(workspace: directory.url, extraArguments: ["--hold"])
        let lost = await postNumbered(60..<70, port: killed.port)
        #expect(lost.count == 10)
        #expect(try await Binary.run(["store", "restore", "-w", directory.path, backup]).status == 1, "refused while it runs")
        killed.kill()
        _ = await killed.terminate()
        let again = try await Binary.run(["store", "restore", "-w", directory.path, backup])
        #expect(again.status == 0, "\(again)")
        let relisted = try await Binary.run(["messages", "list", "-w", directory.path, "--limit", "1000", "--json"])
        for id in lost.map(\.id) { #expect(!relisted.output.contains(id), "a message of the killed hub's log came back") }
        for id in ids { #expect(relisted.output.contains(id)) }
    }
}
