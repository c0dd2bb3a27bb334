import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("switchboard impact and diff")
struct ImpactDiffTests {
    /// crm → accounts-to-erp → erp → erp-to-bank → bank, and shop → orders → crm.salesorders.
    static func write(_ directory: TemporaryDirectory, bankLimits: String = "") async throws {
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            systems:
              - { id: shop, kind: http, location: cloud }
              - id: crm
                kind: dataverse
                location: cloud
                connections: { default: { base_url: "https://crm.example.com", tenant: t, client_id: c, client_secret: "${env:S}" } }
              - { id: erp, kind: http, location: on-premises, connections: { default: { base_url: "http://127.0.0.1:9" } } }
              - { id: bank, kind: http, location: cloud, connections: { default: { base_url: "http://127.0.0.1:9" } }\(bankLimits) }
            """)
        try directory.write(
            "integrations/orders.yaml",
            """
            id: orders
            title: Orders
            source: { system: shop, webhook: { path: /hooks/orders, auth: { kind: none } } }
            steps:
              - map: { ordernumber: $.number, name: $.title }
            target: { system: crm, dataverse: { table: salesorders, key: { ordernumber: $.ordernumber } } }
            """)
        try directory.write(
            "integrations/accounts-to-erp.yaml",
            """
            id: accounts-to-erp
            title: Accounts to the ERP
            source: { system: crm, changes: { table: accounts, select: [name, accountnumber] } }
            steps:
              - map: { number: $.attributes.accountnumber, name: $.attributes.name }
            target: { system: erp, http: { method: PUT, path: "/customers/{$.number}" } }
            """)
        try directory.write(
            "integrations/erp-to-bank.yaml",
            """
            id: erp-to-bank
            title: Customers to the bank
            source: { system: erp, webhook: { path: /hooks/customers, auth: { kind: none } } }
            target: { system: bank, http: { method: PUT, path: "/payees/{$.number}" } }
            """)
    }

    @Test("a column, a table and a system: who reads or writes it, and the path downstream")
    func impact() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.write(directory)
        let workspace = try Workspace.load(directory: directory.url, registry: .standard, resolvingSecrets: false)
        let name = Impact.analyse(try #require(Impact.Subject(parsing: "crm.accounts.name")), in: workspace)
        #expect(name.map(\.integration) == ["accounts-to-erp"])
        #expect(name.first?.way == .reads && name.first?.reason == "source.changes selects name")
        #expect(name.first?.downstream == [["erp", "erp-to-bank", "bank"]])
        // A column no step uses is not read.
        #expect(Impact.analyse(Impact.Subject(system: "crm", table: "accounts", column: "telephone1"), in: workspace).isEmpty)
        let orders = Impact.analyse(Impact.Subject(system: "crm", table: "salesorder", column: "ordernumber"), in: workspace)
        #expect(orders.map(\.integration) == ["orders"] && orders.first?.way == .writes)
        // Nothing reads sales orders: accounts-to-erp reads another table of the same system.
        #expect(orders.first?.downstream == [])
        let erp = Impact.analyse(Impact.Subject(system: "erp"), in: workspace)
        #expect(Set(erp.map { "\($0.way.rawValue) \($0.integration)" }) == ["writes accounts-to-erp", "reads erp-to-bank"])
        let text = try await Binary.run(["impact", "crm.accounts.name", "-w", directory.path])
        #expect(
            text.output
                == "crm.accounts.name: 1 integration\n  reads: accounts-to-erp (source.changes selects name)\n    downstream: accounts-to-erp → erp → erp-to-bank → bank\n"
        )
        let unknown = try await Binary.run(["impact", "nowhere", "-w", directory.path])
        #expect(unknown.status == 1 && unknown.error.hasPrefix("system 'nowhere' is not declared in switchboard.yaml"))
    }

    @Test("a lookup bound with odata_bind (or a concat of /TABLE() makes the integration depend on the bound table")
    func bindsAreDependencies() async throws {
        let example = Repository.root.appendingPathComponent("examples/webshop-to-dataverse")
        let workspace = try Workspace.load(directory: example, registry: .standard, resolvingSecrets: false)
        let accounts = Impact.analyse(Impact.Subject(system: "crm", table: "accounts"), in: workspace)
        #expect(accounts.map(\.integration) == ["orders-to-salesorders"])
        #expect(accounts.first?.way == .reads)
        #expect(accounts.first?.reason == "map binds customerid@odata.bind to accounts (a lookup: a write fails when the record is missing)")
        // By its logical name too; another table is no dependency.
        #expect(Impact.analyse(Impact.Subject(system: "crm", table: "account"), in: workspace).count == 1)
        #expect(Impact.analyse(Impact.Subject(system: "crm", table: "contacts"), in: workspace).isEmpty)
    }

    @Test("diff against a git ref: fields changed, systems and integrations added and removed, each with its impact")
    func diff() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.write(directory)
        try await Binary.git(directory, "init", "-q")
        try await Binary.git(directory, "add", ".")
        try await Binary.git(directory, "commit", "-q", "-m", "first")
        try await Self.write(directory, bankLimits: ", limits: { max_requests: 5 }")
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("integrations/orders.yaml"))
        let mapped = try String(contentsOf: directory.url.appendingPathComponent("integrations/accounts-to-erp.yaml"), encoding: .utf8)
        try directory.write(
            "integrations/accounts-to-erp.yaml",
            mapped.replacingOccurrences(of: "select: [name, accountnumber]", with: "select: [name, accountnumber, address1_city]"))
        let result = try await Binary.run(["diff", "HEAD", "-w", directory.path, "--markdown"])
        #expect(result.status == 0, "\(result.error)")
        let text = result.output
        #expect(text.hasPrefix("## Workspace changes since `HEAD`"))
        #expect(text.contains("- **changed** system `bank`\n  - `limits.max_requests`: (none) → `5`\n  - impact: erp-to-bank writes it"), "\(text)")
        #expect(
            text.contains(
                "- **changed** integration `accounts-to-erp`\n  - `source.changes.select[2]`: (none) → `address1_city`\n  - impact: writes erp\n  - impact: downstream: erp → erp-to-bank → bank"
            ), "\(text)")
        #expect(text.contains("- **removed** integration `orders`\n  - impact: writes crm"), "\(text)")
        let none = try await Binary.run(["diff", "no-such-ref", "-w", directory.path])
        #expect(none.status == 1 && none.error.contains("'no-such-ref' is not a git ref"))
    }
}
