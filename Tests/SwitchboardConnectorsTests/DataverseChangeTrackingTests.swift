import AsyncHTTPClient
import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// A hub reading the emulator's accounts through change tracking and sending each change to an ERP (a sink).
@Suite("Dataverse change tracking as a source")
struct DataverseChangeTrackingTests {
    func workspace(
        _ directory: TemporaryDirectory, emulator: EmulatorHarness, erpPort: Int, initialLoad: Bool = true, expiredToken: String = "fail"
    ) throws -> Workspace {
        try directory.write("secrets/dataverse", "secret-1")
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            server: { host: 127.0.0.1, port: 0 }
            systems:
              - id: crm
                kind: dataverse
                location: cloud
                connections:
                  default:
            \(emulator.connectionFields(indent: 8))
              - { id: erp, kind: http, location: on-premises, connections: { default: { base_url: "http://127.0.0.1:\(erpPort)" } } }
            """)
        try directory.write(
            "integrations/accounts.yaml",
            """
            id: accounts
            title: Account changes to the ERP
            source:
              system: crm
              changes: { table: accounts, select: [name, accountnumber], interval: 100ms, initial_load: \(initialLoad), expired_token: \(expiredToken) }
            steps:
              - map: { customer: $.id, event: { lower: $.message }, name: $.attributes.name, number: $.attributes.accountnumber }
            target: { system: erp, http: { method: PUT, path: "/customers/{$.customer}" } }
            delivery: { backoff: { initial: 20ms, max: 100ms, multiplier: 2 } }
            """)
        return try Workspace.load(directory: directory.url, registry: .standard)
    }

    func startHub(_ workspace: Workspace) async throws -> (hub: Hub, task: Task<Void, any Error>, port: Int) {
        try await Hub.startedForTest(workspace, label: "dataverse-changes")
    }

    /// The integration's health as `GET /api/v1/integrations` gives it.
    func health(port: Int, token: String) async throws -> (status: String, reasons: [String]) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/integrations")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let list = try JSONValue(json: Array(buffer: try await response.body.collect(upTo: 1 << 20))).arrayItems
        let health = list.first { $0["id"]?.text == "accounts" }?["health"]
        return (health?["status"]?.text ?? "", health?["reasons"]?.arrayItems.map(\.text) ?? [])
    }

    /// What the ERP received, as (event, customer id, name).
    func events(_ erp: Sink) -> [(event: String, id: String, name: String)] {
        erp.received.compactMap { received in
            guard let body = try? JSONValue(json: received.body) else { return nil }
            return (body["event"]?.text ?? "", body["customer"]?.text ?? "", body["name"]?.text ?? "")
        }
    }

    @Test("existing accounts, then changes made while the hub was stopped, each reach the ERP once; a deletion as a delete")
    func acrossARestart() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        let emulator = try await EmulatorHarness()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = try await emulator.token()
        var ids: [String] = []
        for name in ["Alpine Ski House", "Blue Yonder", "Coho Winery"] {
            let created = try await emulator.send(
                "POST", "accounts", token: token, headers: ["Prefer": "return=representation"], body: #"{"name": "\#(name)"}"#)
            ids.append(try #require(created.json["accountid"]?.text))
        }
        let workspace = try workspace(directory, emulator: emulator, erpPort: try await erp.port())

        let (first, firstTask, _) = try await startHub(workspace)
        #expect(try await eventually { erp.received.count == 3 })
        #expect(Set(events(erp).map(\.id)) == Set(ids))
        #expect(events(erp).allSatisfy { $0.event == "upsert" })
        await first.shutdown()
        try await firstTask.value

        // While the hub is stopped: one account created, one renamed, one deleted.
        let created = try await emulator.send(
            "POST", "accounts", token: token, headers: ["Prefer": "return=representation"],
            body: #"{"name": "Datum Corporation", "accountnumber": "D-1"}"#)
        let newID = try #require(created.json["accountid"]?.text)
        #expect(try await emulator.send("PATCH", "accounts(\(ids[1]))", token: token, body: #"{"name": "Blue Yonder Airlines"}"#).status == 204)
        #expect(try await emulator.send("DELETE", "accounts(\(ids[2]))", token: token).status == 204)

        let (second, secondTask, _) = try await startHub(workspace)
        #expect(try await eventually { erp.received.count == 6 })
        // Let a few more polls pass: nothing is read twice.
        try await Task.sleep(for: .milliseconds(400))
        let after = Array(events(erp).dropFirst(3))
        #expect(after.count == 3, "\(after)")
        #expect(after.contains { $0.event == "upsert" && $0.id == newID && $0.name == "Datum Corporation" })
        #expect(after.contains { $0.event == "upsert" && $0.id == ids[1] && $0.name == "Blue Yonder Airlines" })
        #expect(after.contains { $0.event == "delete" && $0.id == ids[2] })
        let stored = try await second.store.messages(matching: MessageFilter(limit: 100))
        #expect(stored.count == 6)
        await second.shutdown()
        try await secondTask.value
        try await emulator.stop()
        erpTask.cancel()
    }

    @Test("with initial_load false only changes after the first poll are sent")
    func withoutInitialLoad() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        let emulator = try await EmulatorHarness()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = try await emulator.token()
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "Existing"}"#)
        let (hub, task, _) = try await startHub(try workspace(directory, emulator: emulator, erpPort: try await erp.port(), initialLoad: false))
        // The first poll has saved a position once the store holds a checkpoint.
        #expect(try await eventually { try await hub.store.checkpoint(source: "changes:accounts") != nil })
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "Later"}"#)
        #expect(try await eventually { erp.received.count == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(events(erp).map(\.name) == ["Later"])
        await hub.shutdown()
        try await task.value
        try await emulator.stop()
        erpTask.cancel()
    }

    @Test(
        "an emulator reset makes the saved delta link refused: by default the source fails, saying what to set; with initial_load it reads the table again"
    )
    func refusedDeltaLink() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        let emulator = try await EmulatorHarness()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = try await emulator.token()
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "Before"}"#)
        let (hub, task, port) = try await startHub(try workspace(directory, emulator: emulator, erpPort: try await erp.port()))
        let (apiToken, record) = APIToken.generate(name: "on-call", role: .viewer, now: 1)
        try await hub.store.insertToken(record)
        #expect(try await eventually { erp.received.count == 1 })

        // The environment is reset: the hub's saved delta link now stands for history the service no longer has.
        #expect(try await emulator.send("POST", "\(emulator.origin)/_emulator/reset").status == 204)
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "After"}"#)
        #expect(try await eventually { try await health(port: port, token: apiToken).status == "failing" })
        let reasons = try await health(port: port, token: apiToken).reasons
        #expect(reasons.first?.contains("Dataverse refused the saved change tracking link of accounts") == true, "\(reasons)")
        #expect(reasons.first?.contains("set source.changes.expired_token to initial_load") == true, "\(reasons)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(events(erp).map(\.name) == ["Before"], "nothing is read past a refused link")
        await hub.shutdown()
        try await task.value

        // The integration now says to read the whole table again: the hub does, once, and says so.
        let (again, againTask, againPort) = try await startHub(
            try workspace(directory, emulator: emulator, erpPort: try await erp.port(), expiredToken: "initial_load"))
        #expect(try await eventually { erp.received.count == 2 })
        #expect(events(erp).map(\.name) == ["Before", "After"])
        let warned = try await eventually { try await health(port: againPort, token: apiToken).status == "warning" }
        #expect(warned)
        let warning = try await health(port: againPort, token: apiToken).reasons
        #expect(warning.contains { $0.hasSuffix("reading the whole table again, as source.changes.expired_token says") }, "\(warning)")
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "Later"}"#)
        #expect(try await eventually { erp.received.count == 3 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(events(erp).map(\.name) == ["Before", "After", "Later"], "after the new initial load it follows the new delta link")
        await again.shutdown()
        try await againTask.value
        try await emulator.stop()
        erpTask.cancel()
    }
}
