import FinanceOperationsEmulator
import FinanceOperationsEmulatorCore
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// Posted invoices in the Finance & Operations emulator, sent as business events to a hub's
/// webhook (`format: finance-operations`) and upserted into the Dataverse emulator.
@Suite("Finance & Operations business events into a hub, over real HTTP on loopback")
struct FinanceOperationsBusinessEventTests {
    final class Setup: Sendable {
        let fno: FinanceOperationsHarness
        let crm: EmulatorHarness
        let directory: TemporaryDirectory
        let hub: Hub
        let port: Int
        private let task: Task<Void, any Error>

        init() async throws {
            var events = BusinessEventDispatcher.Settings()
            events.retryWaitMillis = 50
            fno = try await FinanceOperationsHarness(businessEvents: events)
            crm = try await EmulatorHarness()
            directory = try TemporaryDirectory()
            try directory.write(
                "switchboard.yaml",
                """
                version: 1
                environments: [test]
                server: { host: 127.0.0.1, port: 0 }
                systems:
                  - id: erp
                    kind: finance-operations
                    location: cloud
                    connections:
                      test:
                \(fno.connectionFields(indent: 8))
                  - id: crm
                    kind: dataverse
                    location: cloud
                    connections:
                      test:
                        base_url: \(crm.origin)
                        authority: \(crm.origin)
                        tenant: switchboard
                        client_id: app-1
                        client_secret: ${env:DATAVERSE_SECRET}
                        ca_file: \(crm.folder.url.appendingPathComponent("tls/ca.pem").path)
                """)
            try directory.write(
                "integrations/invoices.yaml",
                """
                id: invoices
                title: Posted invoices from Finance & Operations into Dataverse
                source:
                  system: erp
                  webhook: { path: /hooks/invoices, format: finance-operations, auth: { kind: query, parameter: code, secret: "${env:HOOK_KEY}" } }
                steps:
                  - map: { invoicenumber: $.InvoiceId, name: { concat: ["Invoice ", $.InvoiceId] }, totalamount: $.InvoiceAmountInAccountingCurrency, totaltax: $.InvoiceTaxAmount, duedate: $.InvoiceDueDate }
                target:
                  system: crm
                  dataverse: { table: invoices, key: { invoicenumber: $.invoicenumber } }
                delivery: { max_attempts: 10, backoff: { initial: 50ms, max: 500ms, multiplier: 2 }, timeout: 10s }
                """)
            let workspace = try Workspace.load(
                directory: directory.url, registry: .standard,
                variables: ["FNO_SECRET": "secret-1", "DATAVERSE_SECRET": "secret-1", "HOOK_KEY": "hook-key"])
            (hub, task, port) = try await Hub.startedForTest(workspace, label: "finance-operations-events-test")
        }

        /// Registers the hub's webhook as an HTTPS endpoint of the posted-invoice event.
        func register(url: String? = nil) async throws -> EmulatorHarness.Answer {
            let target = url ?? "http://127.0.0.1:\(port)/hooks/invoices?code=hook-key"
            return try await fno.send(
                "POST", "/_emulator/business-events/endpoints",
                body: #"{"name": "hub", "url": "\#(target)", "business_events": ["SalesInvoicePostedBusinessEvent"]}"#)
        }

        /// Posts an invoice in Finance & Operations (creates it through OData).
        func postInvoice(_ number: String, amount: Double) async throws -> Int {
            try await fno.send(
                "POST", "/data/SalesInvoiceHeadersV2",
                body: #"{"InvoiceNumber": "\#(number)", "InvoiceCustomerAccountNumber": "C-1", "InvoiceDate": "2026-12-01", "DueDate": "2026-12-31", "CurrencyCode": "USD", "TotalInvoiceAmount": \#(amount), "TotalTaxAmount": 20}"#
            ).status
        }

        func invoices() async throws -> [JSONValue] {
            let token = try await crm.token()
            return try await crm.send("GET", "invoices?$select=invoicenumber,totalamount,duedate&$orderby=invoicenumber", token: token).json["value"]?.arrayItems ?? []
        }

        func stop() async throws {
            await hub.shutdown()
            try await task.value
            directory.remove()
            try await fno.stop()
            try await crm.stop()
        }
    }

    @Test("a posted invoice's event arrives with the documented fields and becomes a Dataverse invoice; the same event sent again is enqueued once")
    func eventSentTwice() async throws {
        let setup = try await Setup()
        #expect(try await setup.register().status == 201)
        #expect(try await setup.postInvoice("INV-1", amount: 1250.5) == 201)
        #expect(try await eventually { try await setup.invoices().count == 1 })
        let invoice = try #require(try await setup.invoices().first)
        #expect(invoice["invoicenumber"] == .string("INV-1"))
        #expect(invoice["totalamount"] == .double(1250.5))
        #expect(invoice["duedate"]?.text.hasPrefix("2026-12-31T00:00:00") == true, "\(invoice)")
        let sent = try await setup.fno.send("GET", "/_emulator/business-events/sent").json["value"]?.arrayItems ?? []
        let payload = try #require(sent.first?["payload"])
        for field in ["BusinessEventId", "BusinessEventLegalEntity", "ControlNumber", "EventId", "EventTime", "MajorVersion", "MinorVersion", "InvoiceId", "LegalEntity"] {
            #expect(payload[field] != nil, "the payload lacks \(field): \(payload)")
        }
        #expect(payload["BusinessEventId"] == .string("SalesInvoicePostedBusinessEvent"))
        #expect(payload["EventTime"]?.text.hasPrefix("/Date(") == true)
        let eventID = try #require(payload["EventId"]?.text)
        // The service may deliver an event twice (a retry, a resend from its error log): the hub keeps one message.
        #expect(try await setup.fno.send("POST", "/_emulator/business-events/\(eventID)/resend").status == 202)
        #expect(try await eventually {
            let log = try await setup.fno.send("GET", "/_emulator/business-events/sent").json["value"]?.arrayItems ?? []
            return log.filter { $0["succeeded"] == .bool(true) }.count == 2
        })
        let messages = try await setup.hub.store.messages(matching: MessageFilter(integration: "invoices"))
        #expect(messages.count == 1)
        #expect(messages.first?.idempotencyKey == eventID)
        #expect(try await setup.invoices().count == 1)
        try await setup.stop()
    }

    @Test("an endpoint that fails every attempt gets the documented retries, then the event waits in the error log until it is resent")
    func errorLogAndResend() async throws {
        let setup = try await Setup()
        let sink = Sink()
        sink.setBehaviour { _, _ in Sink.Answer(status: 503) }
        let sinkTask = Task { try await sink.application(port: 0).runService() }
        let sinkPort = try await sink.port()
        #expect(try await setup.register(url: "http://127.0.0.1:\(sinkPort)/events").status == 201)
        #expect(try await setup.postInvoice("INV-2", amount: 99) == 201)
        #expect(try await eventually {
            (try await setup.fno.send("GET", "/_emulator/business-events/errors").json["value"]?.arrayItems ?? []).count == 1
        })
        let failed = try #require(try await setup.fno.send("GET", "/_emulator/business-events/errors").json["value"]?.arrayItems.first)
        #expect(failed["attempts"] == .int(4), "one attempt and three retries: \(failed)")
        #expect(sink.received.count == 4)
        sink.setBehaviour { _, _ in Sink.Answer(status: 200) }
        let eventID = try #require(failed["EventId"]?.text)
        #expect(try await setup.fno.send("POST", "/_emulator/business-events/\(eventID)/resend").status == 202)
        #expect(try await eventually {
            (try await setup.fno.send("GET", "/_emulator/business-events/errors").json["value"]?.arrayItems ?? []).isEmpty
        })
        #expect(sink.received.count == 5)
        #expect((try? JSONValue(json: sink.received.last?.body ?? []))?["InvoiceId"] == .string("INV-2"))
        sinkTask.cancel()
        try await setup.stop()
    }

    @Test("a body that is no business event is refused at the webhook in one sentence, and nothing is stored")
    func badPayload() async throws {
        let setup = try await Setup()
        let answer = try await setup.fno.sendPlain(
            "POST", "http://127.0.0.1:\(setup.port)/hooks/invoices?code=hook-key", body: #"{"BusinessEventId": "X", "ControlNumber": "seven"}"#)
        #expect(answer.status == 400)
        #expect(answer.text.contains("EventId is missing or not text"), "\(answer.text)")
        #expect(try await setup.hub.store.messages(matching: MessageFilter(integration: "invoices")).isEmpty)
        try await setup.stop()
    }
}
