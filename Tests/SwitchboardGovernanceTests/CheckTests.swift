import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardHub
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("switchboard check: the strategy review")
struct CheckTests {
    static let examples = Repository.root.appendingPathComponent("examples")

    /// A workspace that breaks every review rule at least once.
    static func brokenFixture() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            environments: [dev, prod]
            goals: [{ id: growth, title: Grow online sales }]
            systems:
              - { id: shop, kind: http, location: cloud, cost: { fixed: 10 } }
              - id: erp
                kind: http
                location: on-premises
                connections: { dev: { base_url: "http://127.0.0.1:9" } }
                limits: { max_requests: 10, window: 1s }
              - id: crm
                kind: dataverse
                connections:
                  dev: { base_url: "https://crm.example.com", tenant: t, client_id: c, client_secret: "${env:CRM_SECRET}" }
                  prod: { base_url: "https://crm.example.com", tenant: t, client_id: c, client_secret: "${env:CRM_SECRET}" }
              - { id: wms, kind: http, location: cloud, owner: Warehouse, connections: { dev: { base_url: "http://127.0.0.1:9" }, prod: { base_url: "http://127.0.0.1:9" } } }
            principles:
              - { id: async-first, title: Asynchronous by default, default_pattern: async }
              - { id: relay-only, title: The data centre is reached through Azure Relay, boundary_via: [Azure Relay] }
              - { id: no-personal-data-in-erp, title: No personal data in the ERP, no_personal_data_to: [erp], personal_fields: [emailaddress1] }
              - { id: dataverse-natively, title: Dataverse natively, preferred_styles: { dataverse: [dataverse] } }
            """)
        try directory.write(
            "integrations/bare.yaml",
            """
            id: bare
            title: Bare
            pattern: sync
            source: { system: shop, webhook: { path: /hooks/bare, auth: { kind: none } } }
            target: { system: erp, http: { method: POST, path: /orders } }
            delivery: { max_attempts: 1 }
            volumes: { per_day: 1000000, peak_per_minute: 6000 }
            """)
        try directory.write(
            "integrations/changes.yaml",
            """
            id: changes
            title: Account changes
            goal: The ERP knows every account.
            benefits: [one customer record]
            aligns_with: [growth]
            owner: Finance IT
            stakeholders: [Sales]
            source: { system: crm, changes: { table: accounts } }
            target: { system: erp, http: { method: PUT, path: "/accounts/{$.id}" } }
            slo: { delivery_latency: 5m }
            tests:
              - { name: an account, input: { id: "1" }, expect: { request: { method: PUT, path: /accounts/1 } } }
            design:
              style: data
              options:
                - { name: Copy by change tracking, style: data, benefits: [simple], drawbacks: [a copy] }
                - { name: Virtual table, style: dataverse, benefits: [no copy], drawbacks: [load on the ERP] }
              chosen: Nightly export
              reason: The ERP needs its own copy.
              exceptions:
                - { principle: dataverse-natively, reason: The ERP cannot serve a virtual table }
            """)
        // A Dataverse webhook that does not say its table (SB113), to a system without limits
        // (SB171) or a cost model while shop has one (SB172).
        try directory.write(
            "integrations/webhook.yaml",
            """
            id: webhook
            title: Contact changes
            source: { system: crm, webhook: { path: /hooks/contacts, format: dataverse, auth: { kind: query, secret: "${env:CODE}" } } }
            target: { system: wms, http: { method: PUT, path: "/contacts/{$.id}" } }
            """)
        return directory
    }

    @Test("the examples and the workspace init writes pass with no finding at all")
    func cleanWorkspaces() throws {
        for name in ["webshop-to-dataverse", "dataverse-accounts-to-erp"] {
            let report = Checker.check(directory: Self.examples.appendingPathComponent(name), registry: .standard)
            #expect(report.findings.isEmpty, "\(name): \(report.findings.map(\.message))")
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try WorkspaceScaffold.write(to: directory.url, overwrite: true)
        #expect(Checker.check(directory: directory.url, registry: .standard).findings.isEmpty)
    }

    @Test("a deliberately broken workspace produces every review rule's finding, each at its file and line")
    func everyRuleFires() throws {
        let directory = try Self.brokenFixture()
        defer { directory.remove() }
        let report = Checker.check(directory: directory.url, registry: .standard)
        let fired = Set(report.findings.map(\.rule.id))
        let review = Set(Rules.all.map(\.id)).subtracting(["SB000", "SB190"])
        #expect(fired == review, "missing: \(review.subtracting(fired).sorted()), unexpected: \(fired.subtracting(review).sorted())")
        #expect(report.failed)
        let text = CheckOutput.render(report, as: .text)
        #expect(
            text.contains(
                "integrations/bare.yaml:3:1: error SB120 sync-justified: integration 'bare' is synchronous without a written justification. Fix: "))
        #expect(text.contains("integrations/bare.yaml:6:13: warning SB140 retry-policy: integration 'bare' never retries"))
        #expect(
            text.contains("switchboard.yaml:11:5: error SB110 system-location: system 'crm' does not say whether it runs in the cloud or on premises")
        )
        #expect(
            text.contains(
                "switchboard.yaml:6:5: error SB170 fits-limits: the integrations using 'erp' (bare, changes) use 1000% of its requests per 1 s at their declared peak, more than it allows"
            ))
        #expect(text.contains("switchboard.yaml:6:5: warning SB191 environment-connection: system 'erp' has no connection for environment prod"))
        #expect(
            text.contains(
                "integrations/changes.yaml:8:24: warning SB180 needless-replication: integration 'changes' reads every column of 'accounts'"))
    }

    @Test("a workspace that does not load: its problems are findings; a secret written inline is SB190")
    func validateProblems() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            systems:
              - id: erp
                kind: http
                location: on-premises
                connections: { default: { base_url: "http://127.0.0.1:9", headers: { Authorization: "Bearer abc123" } } }
                colour: blue
            """)
        let report = Checker.check(directory: directory.url, registry: .standard)
        #expect(report.findings.contains { $0.rule.id == "SB190" && $0.location.line == 6 })
        #expect(report.findings.contains { $0.rule.id == "SB000" && $0.message.hasPrefix("systems[0].colour is not a known field here") })
        #expect(report.failed)
    }

    @Test("severities and suppressions from switchboard.yaml apply, and the report shows each suppression's reason")
    func suppressions() throws {
        let directory = try Self.brokenFixture()
        defer { directory.remove() }
        let landscape = try String(contentsOf: directory.url.appendingPathComponent("switchboard.yaml"), encoding: .utf8)
        try directory.write(
            "switchboard.yaml",
            landscape + """

                check:
                  rules:
                    SB161: { severity: error, reason: Operations needs an objective for every integration }
                    SB195: { severity: off, reason: Tests are written in the next sprint }
                  suppress:
                    - { rule: SB120, integration: bare, reason: The price lookup must answer while the customer waits }
                """)
        let report = Checker.check(directory: directory.url, registry: .standard)
        let slo = try #require(report.findings.first { $0.rule.id == "SB161" })
        #expect(slo.severity == .error && slo.counts)
        let sync = try #require(report.findings.first { $0.rule.id == "SB120" })
        #expect(!sync.counts && sync.suppressed == "The price lookup must answer while the customer waits")
        #expect(report.findings.filter { $0.rule.id == "SB195" }.allSatisfy { !$0.counts })
        let text = CheckOutput.render(report, as: .text)
        #expect(
            text.contains(
                "suppressed SB120 sync-justified: integration 'bare' is synchronous without a written justification (reason: The price lookup must answer while the customer waits)"
            ))
        #expect(text.hasSuffix("suppressed\n"))
    }

    @Test("SARIF 2.1.0: every rule in the driver, a result per finding with its location, suppressed results marked")
    func sarif() async throws {
        let directory = try Self.brokenFixture()
        defer { directory.remove() }
        try directory.write(
            "switchboard.yaml",
            try String(contentsOf: directory.url.appendingPathComponent("switchboard.yaml"), encoding: .utf8)
                + "\ncheck: { suppress: [{ rule: SB195, reason: later }] }\n")
        let report = Checker.check(directory: directory.url, registry: .standard)
        let sarif = try JSONValue(json: Array(CheckOutput.render(report, as: .sarif).utf8))
        #expect(sarif["version"]?.text == "2.1.0")
        let run = try #require(sarif["runs"]?.arrayItems.first)
        let rules = run["tool"]?["driver"]?["rules"]?.arrayItems ?? []
        #expect(rules.map { $0["id"]?.text ?? "" } == Rules.all.map(\.id))
        let results = run["results"]?.arrayItems ?? []
        #expect(results.count == report.findings.count)
        for result in results {
            let index = Int(result["ruleIndex"]?.text ?? "") ?? -1
            #expect(rules.indices.contains(index) && rules[index]["id"] == result["ruleId"])
            #expect(["error", "warning", "note"].contains(result["level"]?.text ?? ""))
            let region = result["locations"]?.arrayItems.first?["physicalLocation"]?["region"]
            #expect((Int(region?["startLine"]?.text ?? "") ?? 0) >= 1)
        }
        #expect(
            results.filter { $0["ruleId"]?.text == "SB195" }.allSatisfy { $0["suppressions"]?.arrayItems.first?["justification"]?.text == "later" })
    }

    @Test("the binary exits 1 when an error counts and 0 on a clean workspace; --format json is JSON")
    func binary() async throws {
        let directory = try Self.brokenFixture()
        defer { directory.remove() }
        let broken = try await Binary.run(["check", directory.path])
        #expect(broken.status == 1)
        #expect(broken.output.contains("error SB120"))
        let clean = try await Binary.run(["check", Self.examples.appendingPathComponent("webshop-to-dataverse").path, "--format", "json"])
        #expect(clean.status == 0)
        #expect(try JSONValue(json: Array(clean.output.utf8))["summary"]?["errors"]?.text == "0")
    }

    @Test("docs/governance.md lists every rule with its checklist item")
    func documented() throws {
        let doc = try String(contentsOf: Repository.root.appendingPathComponent("docs/governance.md"), encoding: .utf8)
        for rule in Rules.all {
            #expect(doc.contains("| `\(rule.id)` | `\(rule.name)` | \(rule.checklist) |"), "\(rule.id) is missing from docs/governance.md")
        }
    }
}
