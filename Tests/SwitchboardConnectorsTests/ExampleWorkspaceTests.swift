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

@Suite("The examples run against the emulator")
struct ExampleWorkspaceTests {
    static let examples = Repository.root
        .appendingPathComponent("examples")

    /// The example's hub on a free port, polling often; stop it with `shutdown()` and await the task.
    static func startHub(_ workspace: URL) async throws -> (Hub, Task<Void, any Error>, Int) {
        let started = try await Hub.startedForTest(try Workspace.load(directory: workspace, registry: .standard), label: "example")
        return (started.hub, started.task, started.port)
    }

    @Test("webshop-to-dataverse: a paid order becomes a sales order bound to its customer; a repeat is the same message")
    func webshopToDataverse() async throws {
        let emulator = try await EmulatorHarness(users: [ApplicationUser(clientID: "switchboard-app", clientSecret: "switchboard-secret")])
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let workspace = folder.url.appendingPathComponent("ws")
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent("webshop-to-dataverse"), to: workspace)
        // Point the example at this emulator: its port and its CA.
        let landscape = workspace.appendingPathComponent("switchboard.yaml")
        try String(contentsOf: landscape, encoding: .utf8).replacingOccurrences(of: "https://127.0.0.1:8443", with: emulator.origin)
            .write(to: landscape, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: workspace.appendingPathComponent(".emulator-tls"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: emulator.folder.url.appendingPathComponent("tls/ca.pem"), to: workspace.appendingPathComponent(".emulator-tls/ca.pem"))
        _ = try await emulator.send(
            "POST", "\(emulator.origin)/_emulator/seed", body: #"{"accounts": [{"name": "Alpine Ski House", "accountnumber": "C-100"}]}"#)

        let (hub, task, port) = try await Self.startHub(workspace)
        let order =
            #"{"order_number": "SO-1001", "status": "paid", "total": 149.9, "placed_at": "2026-11-27T10:00:00Z", "email": "ana@example.com", "customer_number": "C-100"}"#
        let first = try await emulator.send(
            "POST", "http://127.0.0.1:\(port)/hooks/orders", headers: ["X-Webshop-Key": "webshop-demo-key"], body: order)
        #expect(first.status == 202)
        let again = try await emulator.send(
            "POST", "http://127.0.0.1:\(port)/hooks/orders", headers: ["X-Webshop-Key": "webshop-demo-key"], body: order)
        #expect(again.status == 200)
        #expect(again.json["id"] == first.json["id"])
        let id = try #require(first.json["id"]?.text)
        #expect(try await eventually { try await hub.store.message(id: id)?.state == .delivered })
        let token = try await emulator.token(clientID: "switchboard-app", secret: "switchboard-secret")
        let orders = try await emulator.send(
            "GET", "salesorders?$select=name,totalamount,_customerid_value", token: token,
            headers: ["Prefer": #"odata.include-annotations="*""#])
        let row = orders.json["value"]?.arrayItems.first
        #expect(orders.json["value"]?.arrayCount == 1)
        #expect(row?["name"]?.text == "Web order SO-1001")
        #expect(row?["_customerid_value@OData.Community.Display.V1.FormattedValue"]?.text == "Alpine Ski House")
        await hub.shutdown()
        try await task.value
        try await emulator.stop()
    }

    @Test("dataverse-accounts-to-erp: an account created in the emulator reaches the ERP through the webhook")
    func accountsToERP() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        let erpPort = try await erp.port()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let workspace = folder.url.appendingPathComponent("ws")
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent("dataverse-accounts-to-erp"), to: workspace)
        let landscape = workspace.appendingPathComponent("switchboard.yaml")
        try String(contentsOf: landscape, encoding: .utf8).replacingOccurrences(of: "http://127.0.0.1:9090", with: "http://127.0.0.1:\(erpPort)")
            .write(to: landscape, atomically: true, encoding: .utf8)
        let (hub, task, port) = try await Self.startHub(workspace)

        let sender = EmulatorWebhookSender()
        let emulator = try await EmulatorHarness(webhooks: sender)
        let registration = try String(contentsOf: workspace.appendingPathComponent("webhook.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1:8080", with: "http://127.0.0.1:\(port)")
        #expect(try await emulator.send("POST", "\(emulator.origin)/_emulator/webhooks", body: registration).status == 201)
        let token = try await emulator.token()
        _ = try await emulator.send(
            "POST", "accounts", token: token, body: #"{"name": "Fourth Coffee", "accountnumber": "C-200", "address1_city": "Redmond"}"#)
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "Prospect without a number"}"#)
        #expect(try await eventually { erp.received.count == 1 })
        let put = try #require(erp.received.first)
        #expect(put.method == "PUT")
        #expect(put.path == "/customers/C-200")
        #expect(put.header("Authorization") == "Bearer erp-demo-token")
        #expect(try JSONValue(json: put.body)["city"]?.text == "Redmond")
        #expect(try await eventually { try await hub.store.counts().contains { $0.state == .filtered && $0.count == 1 } })
        await hub.shutdown()
        try await task.value
        try await emulator.stop()
        try await sender.shutdown()
        erpTask.cancel()
    }
}
