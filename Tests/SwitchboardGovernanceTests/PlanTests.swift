import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("switchboard plan: volumes against limits, entitlements and cost")
struct PlanTests {
    /// Two integrations writing to one Dataverse environment with two application users and batches of 10.
    static func workspace() throws -> (Workspace, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            systems:
              - { id: shop, kind: http, location: cloud }
              - id: crm
                kind: dataverse
                location: cloud
                connections:
                  default:
                    base_url: https://crm.example.com
                    tenant: t
                    client_id: c
                    client_secret: ${env:SECRET}
                    batch_size: 10
                    more_users: [{ client_id: c2, client_secret: "${env:SECRET_2}" }]
                limits: { time_per_record: 50ms }
                cost: { per_request: 0.001, fixed: 100, currency: EUR }
            """)
        for (id, perDay, peak) in [("orders", 100_000, 1_200), ("returns", 50_000, 600)] {
            try directory.write(
                "integrations/\(id).yaml",
                """
                id: \(id)
                title: \(id)
                source: { system: shop, webhook: { path: /hooks/\(id), auth: { kind: none } } }
                target: { system: crm, dataverse: { table: salesorders, key: { ordernumber: $.n } } }
                volumes: { per_day: \(perDay), peak_per_minute: \(peak) }
                """)
        }
        return (try Workspace.load(directory: directory.url, registry: .standard, resolvingSecrets: false), directory)
    }

    @Test("figures match the hand-computed case")
    func handComputed() throws {
        let (workspace, directory) = try Self.workspace()
        defer { directory.remove() }
        let plan = try #require(Planner.plan(workspace).first)
        #expect(plan.system == "crm" && plan.integrations == ["orders", "returns"] && plan.users == 2)
        // 150,000 records a day in batches of 10.
        #expect(plan.recordsPerDay == 150_000)
        #expect(plan.requestsPerDay == 15_000)
        // Peak: 1,200 + 600 a minute = 30 records/s; 9,000 per 300 s window = 900 requests.
        #expect(plan.peakRecordsPerSecond == 30)
        #expect(abs(plan.peakRequestsPerWindow - 900) < 1e-9)
        let limits = Dictionary(uniqueKeysWithValues: plan.limits.map { ($0.name, $0) })
        // 6,000 requests per user per 300 s, two users.
        #expect(limits["requests per 300 s"]?.allowed == 12_000)
        #expect(abs((limits["requests per 300 s"]?.share ?? 0) - 0.075) < 1e-9)
        // 9,000 records × 50 ms = 450 s of the 2 × 1,200 s.
        #expect(abs((limits["execution time per 300 s"]?.used ?? 0) - 450) < 1e-9)
        #expect(limits["execution time per 300 s"]?.allowed == 2_400)
        // 30 records/s × 50 ms = 1.5 in flight of 2 × 52.
        #expect(abs((limits["requests in flight"]?.used ?? 0) - 1.5) < 1e-9)
        #expect(limits["requests in flight"]?.allowed == 104)
        // Entitlement counts every operation: 150,000 of the 500,000 pool.
        #expect(abs((limits["operations per 24 h (entitlement)"]?.share ?? 0) - 0.3) < 1e-9)
        #expect(abs(plan.headroom - 0.7) < 1e-9)
        #expect(plan.fittingBatchSize == 1 && plan.neededConcurrency == 2 && plan.neededUsers == 1)
        // 100 fixed + 15,000 requests × 30 days × 0.001.
        #expect(abs((plan.monthlyCost ?? 0) - 550) < 1e-9)
        #expect(plan.growth.map(\.factor) == [2, 5, 10])
        #expect(plan.growth[0].firstLimit == nil && abs(plan.growth[0].largestShare - 0.6) < 1e-9)
        #expect(plan.growth[1].firstLimit == "operations per 24 h (entitlement)")
        #expect(abs((plan.growth[2].monthlyCost ?? 0) - 4_600) < 1e-9)
    }

    @Test("Markdown and JSON carry the same figures")
    func outputs() throws {
        let (workspace, directory) = try Self.workspace()
        defer { directory.remove() }
        let plans = Planner.plan(workspace)
        let markdown = PlanOutput.render(plans, as: .markdown)
        #expect(markdown.contains("| requests per 300 s | 900 | 12,000 | 8% |"))
        #expect(markdown.contains("| 5× | operations per 24 h (entitlement) | 150% | 2350.00 EUR/month |"))
        let json = try JSONValue(json: Array(PlanOutput.render(plans, as: .json).utf8))
        #expect(Double(json.arrayItems.first?["requests_per_day"]?.text ?? "") == 15_000)
        #expect(json.arrayItems.first?["needed_concurrency"]?.text == "2")
    }
}
