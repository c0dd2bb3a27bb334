import AsyncHTTPClient
import Foundation
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// Two `switchboard run` nodes on one PostgreSQL database reading the emulator's accounts through
/// change tracking: one polls, and when it is killed the other carries on from its checkpoint.
@Suite("A polled source across nodes")
struct PollerTakeoverTests {
    /// The node holding the source's polling duty, as `GET /api/v1/nodes` says; nil when none does.
    func poller(port: Int, token: String) async throws -> String? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/nodes")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let nodes = try JSONValue(json: Array(buffer: try await response.body.collect(upTo: 1 << 20))).arrayItems
        return nodes.first { node in
            node["alive"]?.text == "true" && (node["duties"]?.arrayItems ?? []).contains { $0.text.hasPrefix("poll:") }
        }?["id"]?.text
    }

    /// How many messages the store holds delivered, as `GET /api/v1/messages?state=delivered` says.
    func delivered(port: Int, token: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/messages?state=delivered&limit=100")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return try JSONValue(json: Array(buffer: try await response.body.collect(upTo: 1 << 20))).arrayItems.count
    }

    @Test("the polling node killed with -9: the other node takes the source over from its checkpoint, nothing skipped or read twice")
    func pollerKilled() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        defer { erpTask.cancel() }
        let emulator = try await EmulatorHarness()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try await ThrowawayPostgres.database()
        let token = try await emulator.token()
        @Sendable func create(_ name: String) async throws -> String {
            let created = try await emulator.send(
                "POST", "accounts", token: token, headers: ["Prefer": "return=representation"], body: #"{"name": "\#(name)"}"#)
            return try #require(created.json["accountid"]?.text)
        }
        var ids: [String] = []
        for name in ["Alpine Ski House", "Blue Yonder", "Coho Winery"] { ids.append(try await create(name)) }
        let workspace = DataverseChangeTrackingTests()
        _ = try workspace.workspace(directory, emulator: emulator, erpPort: try await erp.port())
        let yaml = try String(contentsOf: directory.url.appendingPathComponent("switchboard.yaml"), encoding: .utf8)
        try directory.write("switchboard.yaml", yaml.replacingOccurrences(of: "version: 1\n", with: "version: 1\nstore: { kind: postgres, url: \"\(database)\" }\n"))
        let created = try await Binary.run(["token", "create", "-w", directory.path, "--role", "viewer", "--name", "test"])
        let viewer = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("sbt_") }.map(String.init), "\(created)")

        let a = try await RunningBinary(workspace: directory.url, extraArguments: ["--node", "node-a"])
        let b = try await RunningBinary(workspace: directory.url, extraArguments: ["--node", "node-b"])
        #expect(try await eventually { erp.received.count == 3 }, "the first poll's accounts arrived: \(erp.received.count)")
        // Their outcomes recorded, so that the kill interrupts no delivery: any repeat would be a read twice.
        #expect(await eventually { (try? await delivered(port: a.port, token: viewer)) == 3 })
        let holder = Locked<String?>(nil)
        #expect(await eventually {
            let found = try? await poller(port: a.port, token: viewer)
            holder.withLock { $0 = found }
            return found != nil
        })
        let polling = try #require(holder.withLock { $0 })
        let (killed, survivor) = polling == "node-a" ? (a, b) : (b, a)
        killed.kill()

        // Changes made after the poller died reach the ERP through the other node, once each.
        ids.append(try await create("Datum Corporation"))
        #expect(try await emulator.send("PATCH", "accounts(\(ids[1]))", token: token, body: #"{"name": "Blue Yonder Airlines"}"#).status == 204)
        @Sendable func names() -> [String] { erp.received.compactMap { try? JSONValue(json: $0.body) }.map { $0["name"]?.text ?? "" } }
        let arrived = await eventually(60) { Set(names()).isSuperset(of: ["Datum Corporation", "Blue Yonder Airlines"]) }
        let cluster = try await ThrowawayPostgres.cluster()
        let name = String(database.split(separator: "?").first?.split(separator: "/").last ?? "")
        let rows = (try? await cluster.sql("SELECT name, holder, expires_at, term FROM duties; SELECT id, expires_at FROM nodes", database: name)) ?? "?"
        #expect(arrived, "\(names()) arrived; now \(Int64(Date().timeIntervalSince1970 * 1000)); duties and nodes: \(rows); the survivor logged: \(survivor.logged.suffix(3_000))")
        let now = try await poller(port: survivor.port, token: viewer)
        #expect(now != nil && now != polling, "the survivor holds the polling duty now: \(now ?? "nobody")")
        // A few more polls: nothing read twice, nothing left out.
        try await Task.sleep(for: .milliseconds(500))
        #expect(names().sorted() == ["Alpine Ski House", "Blue Yonder", "Blue Yonder Airlines", "Coho Winery", "Datum Corporation"], "\(names())")
        #expect(await survivor.terminate() == 0)
        try await emulator.stop()
    }
}
