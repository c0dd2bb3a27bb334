import EmulatorSecurity
import FinanceOperationsEmulator
import FinanceOperationsEmulatorCore
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// A hub writing customers to the Finance & Operations emulator over HTTPS, signed in with client credentials.
@Suite("Finance & Operations target against the emulator over HTTPS")
struct FinanceOperationsTargetTests {
    /// A hub whose integrations write customers into `emulator`, one per entry of `integrations`
    /// (its id and its target's extra fields), each taking posts at `/hooks/<id>`.
    final class Setup: Sendable {
        let emulator: FinanceOperationsHarness
        let directory: TemporaryDirectory
        let hub: Hub
        let port: Int
        private let task: Task<Void, any Error>

        init(
            emulator: FinanceOperationsHarness, integrations: [(id: String, target: String)], connection: [String] = [],
            variables: [String: String] = [:]
        ) async throws {
            self.emulator = emulator
            directory = try TemporaryDirectory()
            try directory.write(
                "switchboard.yaml",
                """
                version: 1
                environments: [test]
                server: { host: 127.0.0.1, port: 0 }
                systems:
                  - { id: shop, kind: http, location: cloud }
                  - id: erp
                    kind: finance-operations
                    location: cloud
                    connections:
                      test:
                \(emulator.connectionFields(indent: 8, extra: connection))
                """)
            for (id, target) in integrations {
                try directory.write(
                    "integrations/\(id).yaml",
                    """
                    id: \(id)
                    title: Customers into Finance & Operations (\(id))
                    source: { system: shop, webhook: { path: /hooks/\(id), auth: { kind: none } } }
                    steps:
                      - map: { CustomerAccount: $.account, dataAreaId: $.company, OrganizationName: $.name, CustomerGroupId: $.group, SalesCurrencyCode: $.currency }
                    target:
                      system: erp
                      finance-operations: { entity: CustomersV3, key: { CustomerAccount: $.CustomerAccount }, company: $.dataAreaId\(target.isEmpty ? "" : ", " + target) }
                    delivery: { max_attempts: 30, backoff: { initial: 50ms, max: 500ms, multiplier: 2 }, timeout: 10s, concurrency: 8 }
                    """)
            }
            let workspace = try Workspace.load(
                directory: directory.url, registry: .standard, variables: ["FNO_SECRET": "secret-1"].merging(variables) { $1 })
            (hub, task, port) = try await Hub.startedForTest(workspace, label: "finance-operations-target-test")
        }

        /// Posts a customer to `/hooks/<integration>`; the message id.
        func post(_ integration: String, account: String, company: String = "usmf", name: String = "Contoso", group: String? = "10") async throws -> String {
            var fields = ["\"account\": \"\(account)\"", "\"company\": \"\(company)\"", "\"name\": \"\(name)\"", "\"currency\": \"USD\""]
            if let group { fields.append("\"group\": \"\(group)\"") }
            let answer = try await emulator.sendPlain("POST", "http://127.0.0.1:\(port)/hooks/\(integration)", body: "{\(fields.joined(separator: ", "))}")
            return answer.json["id"]?.text ?? ""
        }

        func states(_ ids: [String]) async throws -> [MessageState?] {
            try await ids.asyncMap { try await hub.store.message(id: $0)?.state }
        }

        func stop() async throws {
            await hub.shutdown()
            try await task.value
            directory.remove()
        }
    }

    /// The customers the emulator holds in every company: company, account and name, sorted.
    static func customers(_ emulator: FinanceOperationsHarness) async throws -> [String] {
        let answer = try await emulator.send(
            "GET", "/data/CustomersV3?cross-company=true&$select=dataAreaId,CustomerAccount,OrganizationName&$orderby=dataAreaId,CustomerAccount")
        return (answer.json["value"]?.arrayItems ?? []).map {
            "\($0["dataAreaId"]?.text ?? "")/\($0["CustomerAccount"]?.text ?? "")/\($0["OrganizationName"]?.text ?? "")"
        }
    }

    @Test("upsert by a composite key per company, update, and delete: a repeated customer updates its record, a second company gets its own, a delete of one already gone is delivered")
    func operations() async throws {
        let emulator = try await FinanceOperationsHarness()
        let setup = try await Setup(
            emulator: emulator, integrations: [("customers", ""), ("renames", "operation: update"), ("removals", "operation: delete")])
        let first = try await setup.post("customers", account: "C-1", company: "usmf", name: "Contoso")
        let other = try await setup.post("customers", account: "C-1", company: "USRT", name: "Contoso Retail")
        #expect(try await eventually { try await setup.states([first, other]) == [.delivered, .delivered] })
        let again = try await setup.post("customers", account: "C-1", company: "usmf", name: "Contoso Ltd")
        let renamed = try await setup.post("renames", account: "C-1", company: "usrt", name: "Contoso Stores")
        let missing = try await setup.post("renames", account: "C-404", company: "usmf", name: "Nobody")
        #expect(try await eventually { try await setup.states([again, renamed, missing]) == [.delivered, .delivered, .dead] })
        #expect(try await Self.customers(emulator) == ["usmf/C-1/Contoso Ltd", "usrt/C-1/Contoso Stores"])
        let dead = try await setup.hub.store.message(id: missing)
        #expect(dead?.lastStatus == 404)
        let removed = try await setup.post("removals", account: "C-1", company: "usrt")
        let removedAgain = try await setup.post("removals", account: "C-1", company: "usrt")
        #expect(try await eventually { try await setup.states([removed, removedAgain]) == [.delivered, .delivered] })
        #expect(try await Self.customers(emulator) == ["usmf/C-1/Contoso Ltd"])
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("writes gathered into one $batch each have their own answer: the one the entity refuses is dead with the infolog, the rest are delivered")
    func batchWithOneBadRecord() async throws {
        let emulator = try await FinanceOperationsHarness()
        let setup = try await Setup(emulator: emulator, integrations: [("customers", "")], connection: ["batch_size: 10", "batch_wait: 3s"])
        // Posted together, so that they arrive within one batch_wait even on a busy machine.
        let posted = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for number in 1...6 {
                group.addTask {
                    (number, try await setup.post("customers", account: "B-\(number)", name: "Customer \(number)", group: number == 4 ? nil : "10"))
                }
            }
            var ids: [Int: String] = [:]
            for try await (number, id) in group { ids[number] = id }
            return (1...6).map { ids[$0] ?? "" }
        }
        #expect(try await eventually { try await setup.states(posted) == [.delivered, .delivered, .delivered, .dead, .delivered, .delivered] })
        let dead = try await setup.hub.store.message(id: posted[3])
        #expect(dead?.lastStatus == 500)
        #expect(dead?.lastError?.contains("Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Warning: Field 'CustomerGroupId' must be filled in.") == true, "\(dead?.lastError ?? "")")
        #expect(dead?.lifecycle.attempts == 1)
        #expect(try await Self.customers(emulator) == [1, 2, 3, 5, 6].map { "usmf/B-\($0)/Customer \($0)" })
        // Six upserts went as a read and a $batch (and the read above), not a read and a write each (12).
        let stats = try await emulator.send("GET", "/_emulator/stats")
        let requests = (stats.json["requests_by_application"]?["app-1"]?.text).flatMap(Int.init) ?? 0
        #expect(requests > 0 && requests <= 5, "\(stats.text)")
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("under priority-based throttling, the low-priority application is throttled first; 429s pause it for their Retry-After and every customer arrives exactly once")
    func throttlingByPriority() async throws {
        var throttling = ResourceThrottle.Settings()
        throttling.capacity = 12
        throttling.windowMillis = 2_000
        throttling.baseRetryAfter = 1
        throttling.maxRetryAfter = 2
        let emulator = try await FinanceOperationsHarness(
            applications: [
                .init(credentials: ApplicationUser(clientID: "app-1", clientSecret: "secret-1"), priority: .low),
                .init(credentials: ApplicationUser(clientID: "app-high", clientSecret: "secret-2"), priority: .high),
            ], throttling: throttling)
        let setup = try await Setup(
            emulator: emulator, integrations: [("bulk", "application: app-1"), ("urgent", "application: app-high")],
            connection: ["more_applications: [{ client_id: app-high, client_secret: \"${env:HIGH_SECRET}\" }]"], variables: ["HIGH_SECRET": "secret-2"])
        var ids: [String] = []
        for number in 1...12 {
            ids.append(try await setup.post("bulk", account: "L-\(number)"))
            ids.append(try await setup.post("urgent", account: "H-\(number)"))
        }
        let all = ids
        #expect(try await eventually(60) { try await setup.states(all).allSatisfy { $0 == .delivered } })
        let stats = try await emulator.send("GET", "/_emulator/stats")
        let low = (stats.json["throttled_by_priority"]?["low"]?.text).flatMap(Int.init) ?? 0
        let high = (stats.json["throttled_by_priority"]?["high"]?.text).flatMap(Int.init) ?? 0
        #expect(low > 0 && low >= high, "\(stats.text)")
        // Every customer once: the emulator refuses a second create of a key, and holds 24 records.
        let count = try await eventually(30) {
            (try? await emulator.send("GET", "/data/CustomersV3/$count", token: try await emulator.token(clientID: "app-high", secret: "secret-2")).text) == "24"
        }
        #expect(count)
        try await setup.stop()
        try await emulator.stop()
    }
}
