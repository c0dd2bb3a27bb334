import Foundation
import SwitchboardConnectors
import SwitchboardGovernance
import SwitchboardModel
import SwitchboardTesting
import Testing

/// The governance commands on a mid-size Dynamics 365 landscape (issue 16): ten integrations
/// between Dataverse, Finance & Operations, a web shop, a warehouse system, a legacy database
/// being migrated, marketing, payments, tax and a data lake, with flaws planted on purpose.
/// Every figure below is computed by hand in the comments.
@Suite("Review, plan, impact and site of a realistic landscape")
struct LandscapeReviewTests {
    static let landscape = """
        version: 1
        environments: [test, production]
        systems:
          - { id: shop, kind: http, location: cloud, owner: E-commerce, limits: { max_requests: 3000, window: 5m }, cost: { per_request: 0.0001 } }
          - id: crm
            kind: dataverse
            location: cloud
            owner: CRM team
            connections:
              test: { base_url: https://crm-test.example.com, tenant: t, client_id: c, client_secret: "${env:CRM_SECRET}" }
              production: { base_url: https://crm.example.com, tenant: t, client_id: c, client_secret: "${env:CRM_SECRET}", batch_size: 100 }
            limits: { time_per_record: 10ms }
            cost: { fixed: 100, per_record: 0.0001, per_gb_stored: 10 }
          - { id: erp, kind: http, location: cloud, owner: Finance, limits: { max_requests: 1000, window: 5m }, cost: { fixed: 50 } }
          - { id: wms, kind: http, location: on-premises, owner: Warehouse }
          - { id: legacy, kind: http, location: on-premises }
          - { id: marketing, kind: http, location: cloud, owner: Marketing, limits: { max_requests: 500, window: 5m }, cost: { fixed: 20 } }
          - { id: payments, kind: http, location: cloud, owner: Treasury }
          - { id: tax, kind: http, location: cloud, owner: Tax office, limits: { max_requests: 10000, window: 5m }, cost: { per_request: 0.00001 } }
          - { id: lake, kind: http, location: cloud, owner: Data team, limits: { max_requests: 100000, window: 5m }, cost: { per_gb_stored: 0.02 } }
        """

    /// Each integration: (file name, YAML). Connections of the HTTP systems are left out: the
    /// review reads no secrets and needs none.
    static let integrations: [(String, String)] = [
        // The inline secret (SB190) must not stop the review.
        (
            "orders",
            http(
                "orders", "shop", "crm", auth: #"{ kind: header, header: X-Key, secret: abc123 }"#, perDay: 20_000, peak: 400, payload: 2_000,
                target: "{ system: crm, dataverse: { table: salesorders, key: { ordernumber: $.n } } }")
        ),
        (
            "migration",
            http(
                "migration", "legacy", "crm", perDay: 600_000, peak: 5_000, payload: 1_000,
                target: "{ system: crm, dataverse: { table: accounts, key: { accountnumber: $.n } } }")
        ),
        (
            "accounts-to-erp",
            """
            id: accounts-to-erp
            title: Accounts to the ERP
            owner: Finance
            source: { system: crm, changes: { table: accounts, select: [name, accountnumber], interval: 10s } }
            steps: [{ map: { id: $.id, name: $.attributes.name } }]
            target: { system: erp, http: { method: PUT, path: "/customers/{$.id}" } }
            volumes: { per_day: 2000, peak_per_minute: 50, payload_bytes: 300 }
            """
        ),
        (
            "invoices",
            http(
                "invoices", "erp", "crm", perDay: 10_000, peak: 100, payload: 500,
                target: "{ system: crm, dataverse: { table: invoices, key: { invoicenumber: $.n } } }")
        ),
        // A burst above the day: 5,000 a day, 5,000 at the peak minute.
        (
            "stock",
            http(
                "stock", "wms", "shop", perDay: 5_000, peak: 5_000, payload: 200,
                target: #"{ system: shop, http: { method: PUT, path: "/stock/{$.sku}" } }"#)
        ),
        (
            "shipments",
            http(
                "shipments", "erp", "wms", perDay: 3_000, peak: 60, payload: 400,
                target: #"{ system: wms, http: { method: PUT, path: "/shipments/{$.n}" } }"#)
        ),
        // A Dataverse webhook that does not say its table (SB113); it maps a lookup's name, not accounts.name.
        (
            "leads",
            """
            id: leads
            title: Leads to marketing
            owner: Marketing
            source: { system: crm, webhook: { path: /hooks/leads, format: dataverse, auth: { kind: query, secret: "${env:LEADS_CODE}" } } }
            steps: [{ map: { id: $.id, company: $.post_image.parentaccountid.name } }]
            target: { system: marketing, http: { method: PUT, path: "/contacts/{$.id}" } }
            volumes: { per_day: 1000, peak_per_minute: 20, payload_bytes: 800 }
            """
        ),
        (
            "payments",
            http(
                "payments", "payments", "erp", perDay: 4_000, peak: 100, payload: 300,
                target: #"{ system: erp, http: { method: PUT, path: "/payments/{$.n}" } }"#)
        ),
        // A pure calculation: POST is not idempotent by kind, the integration says why repeating is harmless.
        (
            "tax",
            http(
                "tax", "shop", "tax", perDay: 20_000, peak: 400, payload: 600,
                target: #"{ system: tax, http: { method: POST, path: /calculate, headers: { Authorization: "Bearer s3cr3t-token" } } }"#,
                extra: #"idempotent: { reason: "a tax calculation changes nothing" }"#)
        ),
        (
            "lake",
            http(
                "lake", "erp", "lake", perDay: 100_000, peak: 500, payload: 1_500,
                target: #"{ system: lake, http: { method: PUT, path: "/events/{$.n}?api_key=k3y-value" } }"#)
        ),
    ]

    static func http(
        _ id: String, _ source: String, _ target: String, auth: String = "{ kind: none }", perDay: Int, peak: Int, payload: Int,
        target settings: String,
        extra: String = ""
    ) -> String {
        """
        id: \(id)
        title: \(id)
        owner: Integration team
        source: { system: \(source), webhook: { path: /hooks/\(id), auth: \(auth) } }
        target: \(settings)
        volumes: { per_day: \(perDay), peak_per_minute: \(peak), payload_bytes: \(payload) }
        \(extra)
        """
    }

    static func folder() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("switchboard.yaml", landscape)
        for (name, text) in integrations { try directory.write("integrations/\(name).yaml", text) }
        return directory
    }

    static let secrets = ["abc123", "s3cr3t-token", "k3y-value"]

    @Test("one secret written inline does not stop the review: every SB190 is found, every other rule still runs, and no secret is shown")
    func wholeReview() throws {
        let directory = try Self.folder()
        defer { directory.remove() }
        let report = Checker.check(directory: directory.url, registry: .standard)
        func files(_ rule: String) -> [String] { report.findings.filter { $0.rule.id == rule }.map(\.location.file).sorted() }
        // The webhook's secret, the tax target's Authorization header and the lake's api_key.
        #expect(files("SB190") == ["integrations/lake.yaml", "integrations/orders.yaml", "integrations/tax.yaml"])
        // The rest of the review ran: the legacy system has no owner, the leads webhook names no
        // table, wms declares no limits and no cost while others do.
        #expect(report.findings.contains { $0.rule.id == "SB105" && $0.message.contains("'legacy'") })
        #expect(report.findings.contains { $0.rule.id == "SB113" && $0.integration == "leads" })
        #expect(report.findings.contains { $0.rule.id == "SB171" && $0.message.contains("'wms'") })
        #expect(report.findings.contains { $0.rule.id == "SB172" && $0.message.contains("'wms'") })
        // The tax calculation's SB150 is shown as met for its stated reason.
        let tax = try #require(report.findings.first { $0.rule.id == "SB150" && $0.integration == "tax" })
        #expect(tax.suppressed == "declared idempotent: a tax calculation changes nothing")
        for format in CheckOutput.Format.allCases {
            let text = CheckOutput.render(report, as: format)
            for secret in Self.secrets { #expect(!text.contains(secret), "\(format) shows \(secret)") }
        }
    }

    @Test("the plan: bursts capped at the day, reads counted, per-integration shares, already over at 1×, no batch fits and what does")
    func plan() throws {
        let directory = try Self.folder()
        defer { directory.remove() }
        #expect(Planner.defaultEnvironment(["test", "production"]) == "production")
        let workspace = try #require(Workspace.loadForReview(directory: directory.url, registry: .standard, environment: "production").workspace)
        let plans = Dictionary(Planner.plan(workspace).map { ($0.system, $0) }) { a, _ in a }

        // crm in production, batches of 100, 1 user, 300 s window, 10 ms a record:
        // records per window: orders 400/min × 5 = 2,000; migration 5,000 × 5 = 25,000;
        // invoices 100 × 5 = 500: 27,500, in 275 requests; accounts-to-erp polls every 10 s: 30.
        let crm = try #require(plans["crm"])
        #expect(crm.batchSize == 100)
        #expect(abs(crm.peakRequestsPerWindow - 305) < 1e-9)
        let limits = Dictionary(crm.limits.map { ($0.name, $0) }) { a, _ in a }
        #expect(abs((limits["requests per 300 s"]?.used ?? 0) - 305) < 1e-9)
        // 27,500 records × 10 ms = 275 s of 1,200.
        #expect(abs((limits["execution time per 300 s"]?.used ?? 0) - 275) < 1e-9)
        // Operations a day: 630,000 written + 8,640 polls = 638,640 of 500,000: 127.7%.
        let entitlement = try #require(limits["operations per 24 h (entitlement)"])
        #expect(abs(entitlement.used - 638_640) < 1e-9)
        #expect(crm.overToday?.name == "operations per 24 h (entitlement)")
        // 630,000 / 100 = 6,300 writes + 8,640 polls.
        #expect(crm.requestsPerDay == 14_940)
        // No batch size fits: the entitlement counts operations; 1.2773 / 0.8 → 2 days.
        #expect(crm.fittingBatchSize == nil)
        let noFit = try #require(crm.noFit)
        #expect(noFit.contains("operations per 24 h (entitlement) is at 128% whatever the batch size"), "\(noFit)")
        #expect(noFit.contains("spread the load over 2 days") && noFit.contains("more application users do not help"), "\(noFit)")
        // Each integration's part: migration alone takes 600,000 / 500,000 = 120%; the poller 30 requests.
        let loads = Dictionary(crm.loads.map { ($0.integration, $0) }) { a, _ in a }
        #expect(abs((loads["migration"]?.shares["operations per 24 h (entitlement)"] ?? 0) - 1.2) < 1e-9)
        #expect(loads["accounts-to-erp"]?.reads == true)
        #expect(abs((loads["accounts-to-erp"]?.peakRequestsPerWindow ?? 0) - 30) < 1e-9)
        #expect(abs((loads["accounts-to-erp"]?.entitlementPerDay ?? 0) - 8_640) < 1e-9)
        // Cost: 100 fixed + 630,000 × 30 × 0.0001 = 1,890 + storage (20,000 × 2,000 + 600,000 × 1,000
        // + 10,000 × 500 = 645 MB a day, × 30 = 19.35 GB × 10 = 193.5): 2,183.5, each its own payload.
        #expect(abs((crm.monthlyCost ?? 0) - 2_183.5) < 1e-6)
        let text = PlanOutput.render([crm], as: .text, environment: workspace.environment)
        #expect(text.hasPrefix("environment: production"))
        #expect(text.contains("headroom: none: already over at 1× (operations per 24 h (entitlement) at 128%)"), "\(text)")
        #expect(text.contains("at 2×: over (already over at 1×)"), "\(text)")

        // shop: stock sends 5,000 a minute but 5,000 a day: at most 5,000 in a window, not 25,000.
        let shop = try #require(plans["shop"])
        #expect(shop.peakRequestsPerWindow == 5_000)
        #expect(shop.assumptions.contains { $0.contains("stock's peak") && $0.contains("counted as its day") })

        // erp: accounts-to-erp 50 × 5 = 250 and payments 100 × 5 = 500 of 1,000: 75%, fits; 2× is 150%.
        let erp = try #require(plans["erp"])
        #expect(abs(erp.largestShare - 0.75) < 1e-9)
        #expect(erp.overToday == nil && erp.growth[0].firstLimit == "requests per 300 s")

        // wms declares nothing: limits unknown, never "headroom 100%".
        let wms = try #require(plans["wms"])
        #expect(!wms.limitsKnown)
        #expect(PlanOutput.render([wms], as: .text).contains("limits: unknown"))
        #expect(!PlanOutput.render([wms], as: .text).contains("headroom"))

        // SB170 names the integration that overflows alone.
        let report = Checker.review(workspace)
        let sb170 = try #require(report.findings.first { $0.rule.id == "SB170" && $0.system == "crm" })
        #expect(sb170.message.contains("migration alone uses 120%"), "\(sb170.message)")
    }

    @Test("a one-off batch is planned as a load spread over its window, and costed once, not monthly")
    func batchPattern() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            systems:
              - { id: legacy, kind: http, location: on-premises, owner: IT }
              - id: crm
                kind: dataverse
                location: cloud
                owner: CRM team
                connections: { default: { base_url: https://crm.example.com, tenant: t, client_id: c, client_secret: "${env:S}", batch_size: 100 } }
                limits: { time_per_record: 10ms }
                cost: { fixed: 100, per_record: 0.0001, per_gb_stored: 10 }
            """)
        try directory.write(
            "integrations/migration.yaml",
            """
            id: migration
            title: Accounts from the legacy database
            pattern: batch
            source: { system: legacy, webhook: { path: /hooks/migration, auth: { kind: none } } }
            target: { system: crm, dataverse: { table: accounts, key: { accountnumber: $.n } } }
            volumes: { total: 600000, window: 72h, runs: once, payload_bytes: 1000 }
            """)
        let workspace = try #require(Workspace.loadForReview(directory: directory.url, registry: .standard).workspace)
        let plan = try #require(Planner.plan(workspace).first)
        // 600,000 over 72 h: 200,000 a day on each of its 3 days, 40% of the 500,000 operations.
        #expect(plan.recordsPerDay == 200_000)
        let entitlement = try #require(plan.limits.first { $0.name == "operations per 24 h (entitlement)" })
        #expect(abs(entitlement.share - 0.4) < 1e-9)
        // 600,000 / 259,200 s × 300 s = 694.4 records a window, in batches of 100: 6.94 requests.
        #expect(abs(plan.peakRequestsPerWindow - 600_000.0 / 259_200 * 300 / 100) < 1e-9)
        // Monthly: the fixed 100 alone. Once: 600,000 × 0.0001 = 60 + 0.6 GB × 10 = 6: 66.
        #expect(plan.monthlyCost == 100)
        #expect(abs((plan.oneOffCost ?? 0) - 66) < 1e-9)
        let report = Checker.review(workspace)
        #expect(!report.findings.contains { $0.rule.id == "SB160" }, "a batch declares its total, not per_day")
    }

    @Test("an integration that declares its application user counts against that user's limits alone")
    func perUser() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            systems:
              - { id: shop, kind: http, location: cloud, owner: Shop }
              - id: crm
                kind: dataverse
                location: cloud
                owner: CRM team
                connections:
                  default:
                    base_url: https://crm.example.com
                    tenant: t
                    client_id: c1
                    client_secret: "${env:S}"
                    more_users: [{ client_id: c2, client_secret: "${env:S2}" }]
            """)
        try directory.write(
            "integrations/orders.yaml",
            Self.http(
                "orders", "shop", "crm", perDay: 100_000, peak: 400, payload: 100,
                target: "{ system: crm, dataverse: { table: salesorders, key: { ordernumber: $.n }, user: c2 } }"))
        try directory.write(
            "integrations/returns.yaml",
            Self.http(
                "returns", "shop", "crm", perDay: 100_000, peak: 600, payload: 100,
                target: "{ system: crm, dataverse: { table: returns, key: { number: $.n } } }"))
        let workspace = try #require(Workspace.loadForReview(directory: directory.url, registry: .standard).workspace)
        let plan = try #require(Planner.plan(workspace).first)
        // Per 300 s: orders 2,000 as c2; returns 3,000 spread over both. c2: 2,000 + 1,500 = 3,500
        // of its own 6,000 (58%); all together it would be 5,000 of 12,000 (42%).
        let requests = try #require(plan.limits.first { $0.name == "requests per 300 s" })
        #expect(requests.used == 3_500 && requests.allowed == 6_000)
        #expect(requests.source.hasSuffix("per application user, the busiest being c2"), "\(requests.source)")
        // A user that is not one of the connection's is a problem at its line.
        try directory.write(
            "integrations/returns.yaml",
            Self.http(
                "returns", "shop", "crm", perDay: 100_000, peak: 600, payload: 100,
                target: "{ system: crm, dataverse: { table: returns, key: { number: $.n }, user: c9 } }"))
        let problems = Workspace.loadForReview(directory: directory.url, registry: .standard).problems
        #expect(
            problems.contains { $0.message.contains("target.dataverse.user 'c9' is not an application user of the system's connection (c1, c2)") })
    }

    @Test("diff shows what a change does to capacity: crm's operations a day before and after, now over")
    func diffCapacity() throws {
        let before = try Self.folder()
        let after = try Self.folder()
        defer {
            before.remove()
            after.remove()
        }
        // invoices from 10,000 to 100,000 a day (peak 100 to 1,000 a minute).
        try after.write(
            "integrations/invoices.yaml",
            Self.http(
                "invoices", "erp", "crm", perDay: 100_000, peak: 1_000, payload: 500,
                target: "{ system: crm, dataverse: { table: invoices, key: { invoicenumber: $.n } } }"))
        let changes = WorkspaceDiff.compare(old: before.url, new: after.url, registry: .standard)
        let capacity = try #require(changes.first { $0.kind == .capacityChanged && $0.id == "crm" })
        // In the first environment (batch 1): operations 638,640 → 728,640.
        let operations = try #require(capacity.fields.first { $0.path == "operations per 24 h (entitlement)" })
        #expect(operations.old == "638,640 (128%)" && operations.new == "728,640 (146%)", "\(operations)")
        #expect(capacity.impact.contains { $0.hasPrefix("now over its") })
        let text = WorkspaceDiff.text(changes, ref: "main")
        #expect(text.contains("capacity changed system crm"))
        for secret in Self.secrets { #expect(!text.contains(secret)) }
    }

    @Test("impact: a webhook without its table may read any; a lookup's name is not accounts.name; the change feed's columns are")
    func impact() throws {
        let directory = try Self.folder()
        defer { directory.remove() }
        let workspace = try #require(Workspace.loadForReview(directory: directory.url, registry: .standard).workspace)
        let name = Impact.analyse(Impact.Subject(system: "crm", table: "accounts", column: "name"), in: workspace)
        // accounts-to-erp selects name; leads maps $.post_image.parentaccountid.name, a lookup's name.
        #expect(name.map(\.integration) == ["accounts-to-erp"], "\(name.map(\.integration))")
        let accounts = Impact.analyse(Impact.Subject(system: "crm", table: "accounts"), in: workspace)
        let leads = try #require(accounts.first { $0.integration == "leads" })
        #expect(leads.reason.contains("does not say which"))
        #expect(Set(accounts.map(\.integration)) == ["accounts-to-erp", "leads", "migration"])
    }

    @Test("the site: a page per system with what stops when it is down, checklist from the findings, bands that never overlap, and no secret")
    func site() throws {
        let directory = try Self.folder()
        defer { directory.remove() }
        let workspace = try #require(Workspace.loadForReview(directory: directory.url, registry: .standard, environment: "production").workspace)
        let report = Checker.review(workspace)
        let out = try TemporaryDirectory()
        defer { out.remove() }
        let files = try SiteWriter.write(workspace, report: report, plans: Planner.plan(workspace), to: out.url)
        #expect(files.contains("systems/erp.html") && files.contains("systems/crm.html"))
        let erp = try String(contentsOf: out.url.appendingPathComponent("systems/erp.html"), encoding: .utf8)
        #expect(erp.contains("Finance") && erp.contains("If it is down"))
        // accounts-to-erp and payments write erp; invoices, shipments and lake read from it, and what is downstream of them.
        #expect(erp.contains(#"<a href="../integrations/accounts-to-erp.html">accounts-to-erp</a> cannot deliver"#), "\(erp)")
        #expect(erp.contains(#"<a href="../integrations/shipments.html">shipments</a> receives nothing from it"#))
        // orders' page: crm is over its entitlement, so the limits item is not "met" there.
        let orders = try String(contentsOf: out.url.appendingPathComponent("integrations/orders.html"), encoding: .utf8)
        let limitsRow = try #require(orders.components(separatedBy: "<tr>").first { $0.contains("service protection limits and entitlements") })
        #expect(limitsRow.contains("to fix"), "\(limitsRow)")
        for file in files {
            let text = try String(contentsOf: out.url.appendingPathComponent(file), encoding: .utf8)
            for secret in Self.secrets { #expect(!text.contains(secret), "\(file) shows \(secret)") }
        }
        // The diagram: in each column the cloud and on-premises bands never overlap, no system box
        // covers a band's label, and the legend is inside the drawing.
        let svg = LandscapeDiagram.svg(workspace)
        let bands = Self.elements(svg, "rect", class: "band")
        #expect(bands.count >= 4)
        for (index, band) in bands.enumerated() {
            for other in bands[(index + 1)...] where other["x"] == band["x"] {
                let separate = band["y"]! + band["height"]! <= other["y"]! || other["y"]! + other["height"]! <= band["y"]!
                #expect(separate, "bands overlap: \(band) \(other)")
            }
        }
        let labels = Self.elements(svg, "text", class: "band-label")
        let boxes = Self.systemBoxes(svg)
        for label in labels {
            for box in boxes where label["x"]! >= box["x"]! - 10 && label["x"]! <= box["x"]! + box["width"]! {
                #expect(!(label["y"]! > box["y"]! && label["y"]! - 11 < box["y"]! + box["height"]!), "a box covers the label at \(label)")
            }
        }
        #expect(svg.contains("synchronous (the caller waits)") && svg.contains("crosses between cloud and on-premises"))
    }

    /// The numeric attributes of each element `<NAME class="CLASS ...` in an SVG.
    static func elements(_ svg: String, _ name: String, class wanted: String) -> [[String: Double]] {
        svg.components(separatedBy: "<\(name) ").dropFirst().compactMap { chunk in
            let head = String(chunk.prefix { $0 != ">" })
            guard let classes = attribute(head, "class"), classes.split(separator: " ").contains(Substring(wanted)) else { return nil }
            return numbers(head)
        }
    }

    static func systemBoxes(_ svg: String) -> [[String: Double]] {
        svg.components(separatedBy: #"<g class="system">"#).dropFirst().compactMap { chunk in
            guard let rect = chunk.components(separatedBy: "<rect ").dropFirst().first else { return nil }
            return numbers(String(rect.prefix { $0 != ">" }))
        }
    }

    static func attribute(_ head: String, _ name: String) -> String? {
        guard let start = head.range(of: " \(name)=\"") ?? head.range(of: "\(name)=\"") else { return nil }
        let rest = head[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func numbers(_ head: String) -> [String: Double] {
        var found: [String: Double] = [:]
        for name in ["x", "y", "width", "height"] { if let text = attribute(head, name), let value = Double(text) { found[name] = value } }
        return found
    }
}
