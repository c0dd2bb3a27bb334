import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Design decisions and architecture principles")
struct DesignTests {
    @Test("each new finding names the principle or the choice, at its line")
    func findings() async throws {
        let directory = try CheckTests.brokenFixture()
        defer { directory.remove() }
        let text = CheckOutput.render(Checker.check(directory: directory.url, registry: .standard), as: .text)
        #expect(text.contains("integrations/bare.yaml:1:1: warning SB200 design-recorded: integration 'bare' records no design decision"))
        #expect(
            text.contains(
                "integrations/bare.yaml:3:1: error SB202 principle-kept: integration 'bare' breaks principle async-first (Asynchronous by default): it is sync, and records no exception"
            ))
        #expect(
            text.contains(
                "error SB202 principle-kept: integration 'bare' breaks principle relay-only (The data centre is reached through Azure Relay): it crosses between cloud and on-premises without saying how, not by Azure Relay"
            ))
        #expect(
            text.contains(
                "error SB202 principle-kept: integration 'changes' breaks principle no-personal-data-in-erp (No personal data in the ERP): it sends whole records to erp, which may hold personal data"
            ))
        #expect(
            text.contains(
                "integrations/changes.yaml:18:3: error SB201 chosen-among-options: integration 'changes' chose 'Nightly export', which is not among its options (Copy by change tracking, Virtual table)"
            ))
        #expect(
            text.contains(
                "integrations/changes.yaml:21:7: error SB203 exception-approved: the exception of integration 'changes' to principle dataverse-natively lacks an approver"
            ))
        // The exception, though incomplete, names the principle: no SB202 for it.
        #expect(!text.contains("breaks principle dataverse-natively"))
    }

    @Test("an exception with its reason and approver silences the principle; an unknown principle or a principle of two kinds is a validate error")
    func exceptions() async throws {
        let directory = try CheckTests.brokenFixture()
        defer { directory.remove() }
        let bare = try String(contentsOf: directory.url.appendingPathComponent("integrations/bare.yaml"), encoding: .utf8)
        try directory.write(
            "integrations/bare.yaml",
            bare + """

                design:
                  exceptions:
                    - { principle: async-first, reason: The till waits for the price, approver: Architecture board }
                """)
        var text = CheckOutput.render(Checker.check(directory: directory.url, registry: .standard), as: .text)
        #expect(!text.contains("breaks principle async-first"))
        #expect(text.contains("breaks principle relay-only"))
        try directory.write("integrations/bare.yaml", bare + "\ndesign: { exceptions: [{ principle: nowhere, reason: r, approver: a }] }\n")
        text = CheckOutput.render(Checker.check(directory: directory.url, registry: .standard), as: .text)
        #expect(
            text.contains(
                "error SB000 valid-workspace: design.exceptions[0].principle names 'nowhere', which is not declared in principles in switchboard.yaml"
            ), "\(text)")
        let landscape = try String(contentsOf: directory.url.appendingPathComponent("switchboard.yaml"), encoding: .utf8)
        try directory.write("switchboard.yaml", landscape + "\n  - { id: both, title: Both, default_pattern: async, boundary_via: [VPN] }\n")
        text = CheckOutput.render(Checker.check(directory: directory.url, registry: .standard), as: .text)
        #expect(
            text.contains(
                "principles[4] must state exactly one of default_pattern, sync_allowed_when, boundary_via, preferred_styles, no_personal_data_to; it states default_pattern and boundary_via"
            ), "\(text)")
    }

    @Test("docs shows the options side by side with the chosen one marked, and every exception on one page")
    func docs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let workspace = try Workspace.load(
            directory: CheckTests.examples.appendingPathComponent("dataverse-accounts-to-erp"), registry: .standard, resolvingSecrets: false)
        _ = try SiteWriter.write(workspace, report: Checker.review(workspace), plans: Planner.plan(workspace), to: directory.url)
        let page = try String(contentsOf: directory.url.appendingPathComponent("integrations/accounts-to-erp.html"), encoding: .utf8)
        #expect(
            page.contains(
                "<th>Virtual table over the ERP&#39;s customers</th><th class=\"ok\">★ Account changes pushed to the ERP by webhook through the hub (chosen)</th>"
            ))
        #expect(page.contains("Exception to <code>dynamics-natively-first</code>"))
        let exceptions = try String(contentsOf: directory.url.appendingPathComponent("exceptions.html"), encoding: .utf8)
        #expect(exceptions.contains("<a href=\"integrations/accounts-to-erp.html\">accounts-to-erp</a></td><td><code>dynamics-natively-first</code>"))
        #expect(exceptions.contains("Architecture board, 2026-11-12"))
        let index = try String(contentsOf: directory.url.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("<h2>Architecture principles</h2>") && index.contains("<a href=\"exceptions.html\">1</a>"))
    }

    @Test("diff shows a changed decision and a new exception each on its own line")
    func diff() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.removeItem(at: directory.url)
        try FileManager.default.copyItem(at: CheckTests.examples.appendingPathComponent("webshop-to-dataverse"), to: directory.url)
        try await Binary.git(directory, "init", "-q")
        try await Binary.git(directory, "add", ".")
        try await Binary.git(directory, "commit", "-q", "-m", "first")
        let file = directory.url.appendingPathComponent("integrations/orders-to-salesorders.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "chosen: Upsert by order number through the hub", with: "chosen: A Power Automate flow per order")
            .replacingOccurrences(
                of: "\ndesign:\n  style: data\n",
                with: "\ndesign:\n  style: data\n  exceptions:\n    - { principle: async-first, reason: Trial, approver: CRM lead }\n")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try await Binary.run(["diff", "HEAD", "-w", directory.path, "--markdown"])
        #expect(
            result.output.contains(
                "- **decision changed** integration `orders-to-salesorders`\n  - `design.chosen`: `Upsert by order number through the hub` → `A Power Automate flow per order`"
            ), "\(result.output)")
        #expect(
            result.output.contains(
                "- **new exception** integration `orders-to-salesorders`\n  - `principle`: (none) → `async-first`\n  - `reason`: (none) → `Trial`\n  - `approver`: (none) → `CRM lead`"
            ), "\(result.output)")
    }
}
