import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardTesting
import Testing

/// Volumes and limits as large as a workspace can write: the plan and the review give figures, never a trap.
@Suite("plan and check with the largest numbers a workspace can hold")
struct HostilePlanTests {
    @Test("volumes of Int.max and a time per record of 100 years are planned, rendered in every format and reviewed")
    func hugeVolumes() throws {
        var fixture = WorkspaceFixture()
        fixture.systems = [
            WorkspaceFixture.system("shop", kind: "http"),
            WorkspaceFixture.system(
                "erp", kind: "http", connection: ["base_url: http://127.0.0.1:1"],
                limits: "max_requests: 1, max_concurrent: 1, max_execution_time: 1ms, time_per_record: 36500d, requests_per_day: 1"),
        ]
        fixture.integrations["a"] =
            WorkspaceFixture.integration(
                "a", source: WorkspaceFixture.webhook(system: "shop", path: "/hooks/a"),
                target: "{ system: erp, http: { method: PUT, path: /a } }") + """
                volumes: { per_day: 9223372036854775807, peak_per_minute: 9223372036854775807, payload_bytes: 9223372036854775807 }
                """
        let directory = try fixture.write()
        defer { directory.remove() }
        let workspace = try Workspace.load(directory: directory.url, registry: .standard, resolvingSecrets: false)
        let plans = Planner.plan(workspace)
        #expect(plans.count == 1)
        for format in PlanOutput.Format.allCases { #expect(!PlanOutput.render(plans, as: format).isEmpty) }
        let report = Checker.review(workspace)
        #expect(report.findings.contains { $0.rule.id == "SB170" })
    }
}
