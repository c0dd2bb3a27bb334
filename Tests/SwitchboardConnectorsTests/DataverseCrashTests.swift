import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("A hub process killed during a bulk load into Dataverse")
struct DataverseCrashTests {
    @Test("kill -9 of the real binary in the middle of a batched bulk load: after a restart every acknowledged order is in the table once")
    func crashDuringBulkLoad() async throws {
        // 10 ms per record: a batch of 50 takes half a second, so a backlog builds and the load is
        // still running when the hub dies.
        let emulator = try await EmulatorHarness(latency: LatencyModel(minMillis: 10, maxMillis: 10))
        var fixture = WorkspaceFixture()
        fixture.systems = [WorkspaceFixture.system("shop", kind: "http"), emulator.system("crm", extra: ["batch_size: 50"])]
        fixture.files["secrets/dataverse"] = "secret-1"
        fixture.integrations["orders"] = WorkspaceFixture.integration(
            "orders", title: "Orders into Dataverse", source: WorkspaceFixture.webhook(system: "shop", path: "/hooks/orders"),
            steps: [#"map: { name: { concat: ["Order ", $.n] }, ordernumber: { concat: ["K-", $.n] }, totalamount: $.n }"#],
            target: "{ system: crm, dataverse: { table: salesorders, operation: upsert, key: { ordernumber: $.ordernumber } } }",
            delivery: "backoff: { initial: 50ms, max: 500ms }")
        let directory = try fixture.write()
        defer { directory.remove() }
        let table = emulator.emulator.configuration.schema.table(logicalName: "salesorder")!
        let stored: @Sendable () -> Int = { emulator.emulator.store.snapshot().count(table) }

        let first = try await RunningBinary(workspace: directory.url)
        let killed = Locked(false)
        // Kill as soon as 200 orders are in the table, while the clients are still posting.
        let killer = Task {
            while !Task.isCancelled {
                if stored() >= 200 {
                    first.kill()
                    killed.withLock { $0 = true }
                    return
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        var acknowledged = await postNumbered(0..<2_000, port: first.port)
        killer.cancel()
        let inTableAtKill = stored()
        #expect(killed.withLock { $0 })
        #expect(inTableAtKill < acknowledged.count, "the load should still have been running when the hub was killed")

        let second = try await RunningBinary(workspace: directory.url)
        acknowledged += await postNumbered(2_000..<2_200, port: second.port)
        let expected = Set(acknowledged.map { "K-\($0.n)" })
        let complete = await eventually(60) { stored() >= expected.count }
        #expect(complete, "\(stored()) of \(expected.count) acknowledged orders are in the table")
        #expect(await second.terminate() == 0)

        // Every acknowledged order once. A message committed just before the kill may be in the
        // table although its 202 never reached the client: stored, so delivered, but still once.
        let numbers = emulator.emulator.store.snapshot().all(table).map { $0.values["ordernumber"]?.text ?? "" }
        let distinct = Set(numbers)
        #expect(numbers.count == distinct.count, "a record is in the table twice")
        #expect(expected.subtracting(distinct).isEmpty, "acknowledged orders missing: \(expected.subtracting(distinct).sorted().prefix(10))")
        #expect(distinct.allSatisfy { Int($0.dropFirst(2)).map { (0..<2_200).contains($0) } ?? false })
        // Created once each: a batch in flight at the kill is written again after the restart, and
        // the upsert by alternate key makes that an update of the same record.
        let stats = emulator.emulator.statistics()
        #expect(stats["records"]?["created"]?.text == String(numbers.count))
        try await emulator.stop()
    }
}
