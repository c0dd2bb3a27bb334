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

/// A hub polling the Finance & Operations emulator's customers by their modified date and time.
@Suite("Finance & Operations polled by modified date, over HTTPS")
struct FinanceOperationsPollingTests {
    func workspace(_ directory: TemporaryDirectory, fno: FinanceOperationsHarness, erpPort: Int) throws -> URL {
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            environments: [test]
            server: { host: 127.0.0.1, port: 0 }
            systems:
              - id: fno
                kind: finance-operations
                location: cloud
                connections:
                  test:
            \(fno.connectionFields(indent: 8))
              - id: erp
                kind: http
                location: on-premises
                connections: { test: { base_url: "http://127.0.0.1:\(erpPort)" } }
            """)
        try directory.write(
            "integrations/customers.yaml",
            """
            id: customers
            title: Customers out of Finance & Operations
            source:
              system: fno
              changes: { entity: CustomersV3, select: [CustomerAccount, OrganizationName], interval: 100ms }
            steps:
              - map: { account: $.record.CustomerAccount, company: $.company, name: $.record.OrganizationName }
            target: { system: erp, http: { method: PUT, path: "/customers/{$.company}/{$.account}" } }
            delivery: { backoff: { initial: 20ms, max: 100ms, multiplier: 2 } }
            """)
        return directory.url
    }

    func startHub(_ workspace: URL) async throws -> (Hub, Task<Void, any Error>) {
        let loaded: Workspace
        do { loaded = try Workspace.load(directory: workspace, registry: .standard, variables: ["FNO_SECRET": "secret-1"]) } catch {
            Issue.record("the workspace does not load: \(error)")
            throw error
        }
        let started = try await Hub.startedForTest(loaded, label: "fno-poll")
        return (started.hub, started.task)
    }

    func customer(_ account: String, company: String, name: String) -> String {
        #"{"CustomerAccount": "\#(account)", "dataAreaId": "\#(company)", "OrganizationName": "\#(name)", "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}"#
    }

    @Test("existing customers in two companies, then those created and changed while the hub was stopped, each reach the target once")
    func acrossARestart() async throws {
        let erp = Sink()
        let erpTask = Task { try await erp.application().runService() }
        let fno = try await FinanceOperationsHarness()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (account, company, name) in [("C-1", "usmf", "Contoso"), ("C-2", "usmf", "Fabrikam"), ("C-1", "usrt", "Contoso Retail")] {
            #expect(try await fno.send("POST", "/data/CustomersV3", body: customer(account, company: company, name: name)).status == 201)
        }
        let workspace = try workspace(directory, fno: fno, erpPort: try await erp.port())
        let (first, firstTask) = try await startHub(workspace)
        #expect(try await eventually { erp.received.count == 3 })
        #expect(Set(erp.received.map(\.path)) == ["/customers/usmf/C-1", "/customers/usmf/C-2", "/customers/usrt/C-1"])
        await first.shutdown()
        try await firstTask.value

        #expect(try await fno.send("POST", "/data/CustomersV3", body: customer("C-3", company: "usmf", name: "Northwind")).status == 201)
        #expect(
            try await fno.send("PATCH", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='C-2')", body: #"{"OrganizationName": "Fabrikam Inc"}"#).status == 204)

        let (second, secondTask) = try await startHub(workspace)
        #expect(try await eventually { erp.received.count == 5 })
        // A few more polls: nothing is read twice.
        try await Task.sleep(for: .milliseconds(400))
        let after = erp.received.dropFirst(3).map { ($0.path, (try? JSONValue(json: $0.body))?["name"]?.text ?? "") }
        #expect(after.count == 2, "\(after)")
        #expect(after.contains { $0 == ("/customers/usmf/C-3", "Northwind") })
        #expect(after.contains { $0 == ("/customers/usmf/C-2", "Fabrikam Inc") })
        await second.shutdown()
        try await secondTask.value
        try await fno.stop()
        erpTask.cancel()
    }
}
