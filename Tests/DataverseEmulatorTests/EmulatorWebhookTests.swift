import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardHub
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Dataverse emulator: webhooks")
struct EmulatorWebhookTests {
    @Test("a registered webhook receives the RemoteExecutionContext of each committed change, with its key, headers and one retry on 503")
    func webhooks() async throws {
        let receiver = Sink()
        let receiverTask = Task { try await receiver.application().runService() }
        let receiverPort = try await receiver.port()
        // The Create's first attempt is refused with 503; the documented single retry delivers it.
        // Deliveries are asynchronous and independent, so the Delete may arrive between the two.
        receiver.setBehaviour { request, _ in
            let creates = receiver.received.filter { $0.header("x-ms-dynamics-request-name") == "Create" }.count
            return .init(status: request.header("x-ms-dynamics-request-name") == "Create" && creates == 1 ? 503 : 200)
        }
        let sender = EmulatorWebhookSender()
        let harness = try await EmulatorHarness(webhooks: sender)
        let token = try await harness.token()

        let registered = try await harness.send(
            "POST", "\(harness.origin)/_emulator/webhooks",
            body: """
                {"url": "http://127.0.0.1:\(receiverPort)/api/dataverse", "table": "account", "messages": ["Create", "Delete"],
                 "authentication": {"type": "WebhookKey", "value": "k3y"}}
                """)
        #expect(registered.status == 201)
        #expect(registered.json["authentication"]?["type"]?.text == "WebhookKey")
        #expect(!registered.text.contains("k3y"))

        let created = try await harness.send(
            "POST", "accounts", token: token, headers: ["Prefer": "return=representation"], body: #"{"name": "Hooked", "revenue": 10}"#)
        let id = try #require(created.json["accountid"]?.text)
        _ = try await harness.send("PATCH", "accounts(\(id))", token: token, body: #"{"name": "Not sent: Update is not registered"}"#)
        _ = try await harness.send("DELETE", "accounts(\(id))", token: token)
        #expect(try await eventually { receiver.received.count >= 3 && harness.emulator.webhooks.pending == 0 })
        let received = receiver.received
        #expect(received.count == 3)
        let creates = received.filter { $0.header("x-ms-dynamics-request-name") == "Create" }
        #expect(creates.count == 2)
        let create = try #require(creates.last)
        #expect(create.query == "code=k3y")
        #expect(create.header("x-ms-dynamics-entity-name") == "account")
        #expect(create.header("x-ms-dynamics-request-name") == "Create")
        #expect(create.header("x-ms-correlation-request-id")?.count == 36)
        let context = try JSONValue(json: create.body)
        #expect(context["MessageName"]?.text == "Create")
        #expect(context["PrimaryEntityName"]?.text == "account")
        #expect(context["PrimaryEntityId"]?.text == id)
        #expect(context["Stage"] == .int(40))
        #expect(context["Mode"] == .int(1))
        #expect(context["OperationCreatedOn"]?.text.hasPrefix("/Date(") == true)
        let target = context["InputParameters"]?.arrayItems.first?["value"]
        #expect(target?["LogicalName"]?.text == "account")
        #expect(target?["Attributes"]?.arrayItems.contains { $0["key"]?.text == "name" && $0["value"]?.text == "Hooked" } == true)
        let delete = try JSONValue(json: try #require(received.first { $0.header("x-ms-dynamics-request-name") == "Delete" }).body)
        #expect(delete["MessageName"]?.text == "Delete")
        #expect(delete["PreEntityImages"]?.arrayCount == 1)

        let log = try await harness.send("GET", "\(harness.origin)/_emulator/webhooks/deliveries")
        let deliveries = log.json["value"]?.arrayItems ?? []
        #expect(deliveries.count == 2)
        #expect(deliveries.first { $0["message"]?.text == "Create" }?["attempts"] == .int(2))
        #expect(deliveries.allSatisfy { $0["succeeded"] == .bool(true) })
        try await harness.stop()
        try await sender.shutdown()
        receiverTask.cancel()
    }

    @Test("a webhook registration with a bad table, message or authentication is refused with a sentence")
    func badRegistrations() async throws {
        let sender = EmulatorWebhookSender()
        let harness = try await EmulatorHarness(webhooks: sender)
        let badTable = try await harness.send(
            "POST", "\(harness.origin)/_emulator/webhooks",
            body:
                #"{"url": "http://127.0.0.1:1/x", "table": "widget", "messages": ["Create"], "authentication": {"type": "WebhookKey", "value": "k"}}"#
        )
        #expect(badTable.status == 400)
        #expect(badTable.errorMessage?.hasPrefix("The webhook needs the logical name of a served table") == true)
        let badMessage = try await harness.send(
            "POST", "\(harness.origin)/_emulator/webhooks",
            body:
                #"{"url": "http://127.0.0.1:1/x", "table": "account", "messages": ["Assign"], "authentication": {"type": "WebhookKey", "value": "k"}}"#
        )
        #expect(badMessage.errorMessage == "The webhook message 'Assign' is not one of Create, Update, Delete.")
        let badAuth = try await harness.send(
            "POST", "\(harness.origin)/_emulator/webhooks",
            body: #"{"url": "http://127.0.0.1:1/x", "table": "account", "messages": ["Create"], "authentication": {"type": "HttpHeader"}}"#)
        #expect(badAuth.errorMessage == "HttpHeader authentication needs 'headers': {name: value}.")
        let listed = try await harness.send("GET", "\(harness.origin)/_emulator/webhooks")
        #expect(listed.json["value"]?.arrayCount == 0)
        try await harness.stop()
        try await sender.shutdown()
    }
}
