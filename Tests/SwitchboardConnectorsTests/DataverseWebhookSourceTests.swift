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

/// Account changes in the emulator, posted by its webhook to a hub, flowing on to an ERP (a sink).
@Suite("Dataverse webhooks as a source")
struct DataverseWebhookSourceTests {
    @Test("the RemoteExecutionContext is stored flat, keyed by its operation id: a webhook posted twice is enqueued once")
    func accountChangesFlowToTheERP() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        let erpPort = try await erp.port()
        var fixture = WorkspaceFixture()
        fixture.server = "host: 127.0.0.1, port: 0"
        fixture.systems = [
            WorkspaceFixture.system("crm", kind: "dataverse"),
            WorkspaceFixture.system("erp", kind: "http", location: "on-premises", connection: ["base_url: http://127.0.0.1:\(erpPort)"]),
        ]
        fixture.files["secrets/webhook-key"] = "k3y"
        fixture.integrations["accounts"] = WorkspaceFixture.integration(
            "accounts", title: "Account changes to the ERP",
            source: WorkspaceFixture.webhook(
                system: "crm", path: "/hooks/dataverse/accounts",
                auth: #"{ kind: query, parameter: code, secret: "${file:secrets/webhook-key}" }"#, format: "dataverse"),
            steps: ["map: { customer: $.id, event: { lower: $.message }, name: $.attributes.name, changed_at: $.operation_created_on }"],
            target: #"{ system: erp, http: { method: PUT, path: "/customers/{$.customer}" } }"#,
            delivery: "backoff: { initial: 20ms, max: 100ms, multiplier: 2 }")
        let directory = try fixture.write()
        defer { directory.remove() }
        let (hub, hubTask, hubPort) = try await Hub.startedForTest(
            try Workspace.load(directory: directory.url, registry: .standard), label: "dataverse-source")

        let sender = EmulatorWebhookSender()
        let emulator = try await EmulatorHarness(webhooks: sender)
        let registered = try await emulator.send(
            "POST", "\(emulator.origin)/_emulator/webhooks",
            body: """
                {"url": "http://127.0.0.1:\(hubPort)/hooks/dataverse/accounts", "table": "account", "messages": ["Create", "Update"],
                 "authentication": {"type": "WebhookKey", "value": "k3y"}}
                """)
        #expect(registered.status == 201)
        let token = try await emulator.token()
        let created = try await emulator.send(
            "POST", "accounts", token: token, headers: ["Prefer": "return=representation"], body: #"{"name": "Fourth Coffee"}"#)
        let id = try #require(created.json["accountid"]?.text)
        #expect(try await eventually { erp.received.count == 1 })
        let delivered = try #require(erp.received.first)
        #expect(delivered.method == "PUT")
        #expect(delivered.path == "/customers/\(id)")
        let body = try JSONValue(json: delivered.body)
        #expect(body["event"]?.text == "create")
        #expect(body["name"]?.text == "Fourth Coffee")
        #expect(body["changed_at"]?.text.hasSuffix("Z") == true)

        // The same context posted again (as Dataverse does when it retries) is the same message.
        let log = try await emulator.send("GET", "\(emulator.origin)/_emulator/webhooks/deliveries")
        let context = try #require(log.json["value"]?.arrayItems.first?["body"])
        let replay = try await emulator.send("POST", "http://127.0.0.1:\(hubPort)/hooks/dataverse/accounts?code=k3y", body: context.jsonString)
        #expect(replay.status == 200)
        // Something else than a context is refused with a sentence, and nothing is stored.
        let wrong = try await emulator.send(
            "POST", "http://127.0.0.1:\(hubPort)/hooks/dataverse/accounts?code=k3y", body: #"{"name": "not a context"}"#)
        #expect(wrong.status == 400)
        #expect(wrong.text.contains("the body is not a Dataverse RemoteExecutionContext: MessageName is missing"))
        let stored = try await hub.store.messages(matching: MessageFilter(limit: 10))
        #expect(stored.count == 1)

        await hub.shutdown()
        try await hubTask.value
        try await emulator.stop()
        try await sender.shutdown()
        erpTask.cancel()
    }
}
