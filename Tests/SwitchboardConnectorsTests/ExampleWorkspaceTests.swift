import DataverseEmulator
import DataverseEmulatorCore
import FinanceOperationsEmulator
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

    /// A copy of an example pointed at these emulators: their ports, and their CAs where the example expects them.
    static func copy(_ example: String, into folder: TemporaryDirectory, dataverse: EmulatorHarness, fno: FinanceOperationsHarness) throws -> URL {
        let workspace = folder.url.appendingPathComponent("ws")
        try FileManager.default.copyItem(at: Self.examples.appendingPathComponent(example), to: workspace)
        let landscape = workspace.appendingPathComponent("switchboard.yaml")
        try String(contentsOf: landscape, encoding: .utf8)
            .replacingOccurrences(of: "https://127.0.0.1:8443", with: dataverse.origin)
            .replacingOccurrences(of: "https://127.0.0.1:8444", with: fno.origin)
            .write(to: landscape, atomically: true, encoding: .utf8)
        for (folder, ca) in [(".emulator-tls", dataverse.folder.url.appendingPathComponent("tls/ca.pem").path), (".fno-tls", fno.caPath)] {
            try FileManager.default.createDirectory(at: workspace.appendingPathComponent(folder), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: ca, toPath: workspace.appendingPathComponent("\(folder)/ca.pem").path)
        }
        return workspace
    }

    static let fnoApplication = FinanceOperationsHarness.Application(credentials: ApplicationUser(clientID: "switchboard-app", clientSecret: "fno-secret"))

    @Test("dataverse-customers-to-fno: an account with a number becomes a customer of usmf in Finance & Operations; one without is filtered")
    func customersToFinanceOperations() async throws {
        let dataverse = try await EmulatorHarness(users: [ApplicationUser(clientID: "switchboard-app", clientSecret: "switchboard-secret")])
        let fno = try await FinanceOperationsHarness(applications: [Self.fnoApplication])
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let workspace = try Self.copy("dataverse-customers-to-fno", into: folder, dataverse: dataverse, fno: fno)
        let token = try await dataverse.token(clientID: "switchboard-app", secret: "switchboard-secret")
        _ = try await dataverse.send(
            "POST", "accounts", token: token, body: #"{"name": "Fourth Coffee", "accountnumber": "C-200", "address1_city": "Redmond"}"#)
        _ = try await dataverse.send("POST", "accounts", token: token, body: #"{"name": "Prospect without a number"}"#)
        let (hub, task, _) = try await Self.startHub(workspace)
        let fnoToken = try await fno.token(clientID: "switchboard-app", secret: "fno-secret")
        let customer = Locked(JSONValue.null)
        #expect(try await eventually(30) {
            let answer = try await fno.send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='C-200')", token: fnoToken)
            customer.withLock { $0 = answer.json }
            return answer.status == 200
        })
        #expect(customer.withLock { $0["OrganizationName"] } == .string("Fourth Coffee"))
        #expect(customer.withLock { $0["AddressCity"] } == .string("Redmond"))
        #expect(customer.withLock { $0["CustomerGroupId"] } == .string("10"))
        #expect(try await eventually { try await hub.store.counts().contains { $0.state == .filtered && $0.count == 1 } })
        await hub.shutdown()
        try await task.value
        try await dataverse.stop()
        try await fno.stop()
    }

    @Test("fno-invoices-to-dataverse: a posted invoice's business event becomes a Dataverse invoice")
    func invoicesToDataverse() async throws {
        let dataverse = try await EmulatorHarness(users: [ApplicationUser(clientID: "switchboard-app", clientSecret: "switchboard-secret")])
        let fno = try await FinanceOperationsHarness(applications: [Self.fnoApplication])
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let workspace = try Self.copy("fno-invoices-to-dataverse", into: folder, dataverse: dataverse, fno: fno)
        let (hub, task, port) = try await Self.startHub(workspace)
        let fnoToken = try await fno.token(clientID: "switchboard-app", secret: "fno-secret")
        let endpoint = try String(contentsOf: workspace.appendingPathComponent("endpoint.json"), encoding: .utf8)
            .replacingOccurrences(of: "http://127.0.0.1:8080", with: "http://127.0.0.1:\(port)")
        #expect(try await fno.send("POST", "/_emulator/business-events/endpoints", token: fnoToken, body: endpoint).status == 201)
        let posted = try await fno.send(
            "POST", "/data/SalesInvoiceHeadersV2", token: fnoToken,
            body: #"{"InvoiceCustomerAccountNumber": "C-200", "InvoiceDate": "2026-12-03", "DueDate": "2026-12-31", "CurrencyCode": "USD", "TotalInvoiceAmount": 1250.5, "TotalTaxAmount": 250.1}"#)
        #expect(posted.status == 201)
        let number = try #require(posted.json["InvoiceNumber"]?.text)
        let token = try await dataverse.token(clientID: "switchboard-app", secret: "switchboard-secret")
        let invoices = Locked<[JSONValue]>([])
        #expect(try await eventually(30) {
            let rows = try await dataverse.send("GET", "invoices?$select=invoicenumber,name,totalamount", token: token).json["value"]?.arrayItems ?? []
            invoices.withLock { $0 = rows }
            return !rows.isEmpty
        })
        let invoice = try #require(invoices.withLock { $0.first })
        #expect(invoice["invoicenumber"] == .string(number))
        #expect(invoice["name"] == .string("Invoice \(number) (usmf)"))
        #expect(invoice["totalamount"] == .double(1250.5))
        await hub.shutdown()
        try await task.value
        try await dataverse.stop()
        try await fno.stop()
    }
}
