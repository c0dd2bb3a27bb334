import Foundation
import SwitchboardModel

/// `switchboard docs`: a static site with no external assets, for stakeholders who do not read
/// YAML: the landscape diagram, the checklist status, a page per integration with its plan
/// figures and findings, and Markdown with a Mermaid diagram for wikis.
public enum SiteWriter {
    /// Writes the site into `folder` (created if needed); returns the files written, relative to it.
    public static func write(_ workspace: Workspace, report: CheckReport, plans: [SystemPlan], to folder: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("integrations"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("systems"), withIntermediateDirectories: true)
        var files: [(String, String)] = [
            ("index.html", index(workspace, report: report, plans: plans)),
            ("landscape.svg", LandscapeDiagram.svg(workspace, linkPrefix: "integrations/")),
            ("landscape.md", markdown(workspace, report: report)),
            ("exceptions.html", exceptions(workspace)),
        ]
        for integration in workspace.integrations {
            files.append(("integrations/\(integration.id).html", page(integration, workspace: workspace, report: report, plans: plans)))
        }
        for system in workspace.landscape.systems {
            files.append(("systems/\(system.id).html", systemPage(system, workspace: workspace, report: report, plans: plans)))
        }
        for (name, text) in files {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return files.map(\.0)
    }

    static func e(_ text: String) -> String { LandscapeDiagram.escape(text) }

    /// `250 ms`, `30 s`, `10 min`, `24 h`, as people write durations.

    /// A connector's one-line Markdown summary as HTML: escaped, with `code` spans as `<code>`.
    static func code(_ markdown: String) -> String {
        let pieces = markdown.split(separator: "`", omittingEmptySubsequences: false)
        return pieces.enumerated().map { index, piece in index % 2 == 1 ? "<code>\(e(String(piece)))</code>" : e(String(piece)) }.joined()
    }

    static let css = """
        body { font: 15px/1.5 system-ui, sans-serif; color: #1f2933; margin: 0; }
        header { background: #243b53; color: #fff; padding: 14px 28px; }
        header a { color: #fff; }
        main { padding: 20px 28px; max-width: 1400px; }
        h1 { font-size: 22px; margin: 0; } h2 { font-size: 18px; margin-top: 28px; }
        table { border-collapse: collapse; margin: 8px 0 16px; }
        th, td { border: 1px solid #cbd2d9; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f0f4f8; }
        .ok { color: #2f855a; font-weight: 600; } .warning { color: #b7791f; font-weight: 600; } .error { color: #c53030; font-weight: 600; }
        .note { color: #52606d; } .suppressed { color: #7b8794; }
        .diagram { overflow-x: auto; border: 1px solid #cbd2d9; padding: 8px; }
        code { background: #f0f4f8; padding: 0 3px; }
        """

    static func html(title: String, depth: Int, body: String) -> String {
        let home = depth == 0 ? "index.html" : "../index.html"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title))</title><style>\(css)</style></head>
            <body><header><h1><a href="\(home)">Integration landscape</a> · \(e(title))</h1></header><main>
            \(body)
            </main></body></html>
            """
    }

    /// Each checklist item with the worst counting finding of its rules.
    /// - Parameters:
    ///   - integration: Only its findings, and those of `systems`; nil: all.
    ///   - systems: The systems whose findings (limits, owner) also count for the page.
    public static func checklist(_ report: CheckReport, integration: String? = nil, systems: Set<String> = []) -> String {
        var items: [String] = []
        for item in Rules.all.map(\.checklist).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            let rules = Rules.all.filter { $0.checklist == item }
            let findings = report.findings.filter { finding in
                rules.contains(finding.rule)
                    && (integration == nil || finding.integration == integration || finding.system.map(systems.contains) == true)
            }
            let counting = findings.filter(\.counts)
            let worst = counting.map(\.severity).max()
            let status =
                switch worst {
                case .error?: #"<span class="error">✖ \#(counting.count) to fix</span>"#
                case .warning?: #"<span class="warning">⚠ \#(counting.count) to look at</span>"#
                case .note?: #"<span class="note">ℹ \#(counting.count) note\#(counting.count == 1 ? "" : "s")</span>"#
                default: #"<span class="ok">✔ met</span>"#
                }
            let suppressed = findings.count - counting.count
            items.append(
                "<tr><td>\(e(item))</td><td>\(rules.map { "<code>\($0.id)</code>" }.joined(separator: " "))</td><td>\(status)\(suppressed > 0 ? #" <span class="suppressed">(\#(suppressed) suppressed)</span>"# : "")</td></tr>"
            )
        }
        return "<table><tr><th>Checklist item</th><th>Rules</th><th>Status</th></tr>\(items.joined())</table>"
    }

    static func findings(_ list: [Finding]) -> String {
        guard !list.isEmpty else { return #"<p class="ok">No findings.</p>"# }
        let rows = list.map { finding in
            let severity =
                finding.counts
                ? #"<span class="\#(finding.severity.rawValue)">\#(finding.severity.rawValue)</span>"#
                : #"<span class="suppressed">suppressed: \#(e(finding.suppressed ?? ""))</span>"#
            return
                "<tr><td>\(severity)</td><td><code>\(finding.rule.id)</code> \(e(finding.rule.name))</td><td>\(e(finding.message))<br><small>\(e(finding.rule.fix))</small></td><td>\(e(finding.location.description))</td></tr>"
        }
        return "<table><tr><th>Severity</th><th>Rule</th><th>Finding</th><th>Where</th></tr>\(rows.joined())</table>"
    }

    static func index(_ workspace: Workspace, report: CheckReport, plans: [SystemPlan]) -> String {
        let rows = workspace.integrations.map { integration in
            "<tr><td><a href=\"integrations/\(e(integration.id)).html\">\(e(integration.id))</a></td><td>\(e(integration.title))</td><td>\(e(integration.source.system)) → \(e(integration.target.system))</td><td>\(integration.pattern.rawValue)</td><td>\(integration.volumes?.perDay.map { LandscapeDiagram.grouped($0) } ?? "—")</td><td>\(e(integration.owner ?? "—"))</td></tr>"
        }
        let systems = workspace.landscape.systems.map { system in
            "<tr><td><a href=\"systems/\(e(system.id)).html\">\(e(system.id))</a></td><td>\(e(system.kind))</td><td>\(system.location?.rawValue ?? "not declared")</td><td>\(e(system.owner ?? "—"))</td><td>\(e(system.description ?? ""))</td></tr>"
        }
        let planRows = plans.map { plan in
            "<tr><td>\(e(plan.system))</td><td>\(PlanOutput.number(plan.recordsPerDay))</td><td>\(PlanOutput.number(plan.requestsPerDay))</td><td>\(e(PlanOutput.headroom(plan)))</td><td>\(e(PlanOutput.money(plan.monthlyCost, plan.currency)))</td><td>\(e(growth(plan)))</td></tr>"
        }
        let body = """
            <p>\(workspace.landscape.systems.count) system\(workspace.landscape.systems.count == 1 ? "" : "s"), \(workspace.integrations.count) integration\(workspace.integrations.count == 1 ? "" : "s"); environment <code>\(e(workspace.environment))</code>. Findings:
            \(report.count(.error)) errors, \(report.count(.warning)) warnings, \(report.suppressedCount) suppressed.</p>
            <h2>Landscape</h2>
            <p>Dashed orange links cross between cloud and on-premises systems; thick purple links are synchronous (the legend is under the drawing). Select an integration or a system to open its page.</p>
            <div class="diagram">\(LandscapeDiagram.svg(workspace, linkPrefix: "integrations/"))</div>
            <h2>Integration strategy checklist</h2>
            \(checklist(report))
            <h2>Architecture principles</h2>
            \(principles(workspace))
            <h2>Integrations</h2>
            <table><tr><th>Id</th><th>Title</th><th>From → to</th><th>Pattern</th><th>Per day</th><th>Owner</th></tr>\(rows.joined())</table>
            <h2>Systems</h2>
            <table><tr><th>Id</th><th>Kind</th><th>Location</th><th>Owner</th><th>Description</th></tr>\(systems.joined())</table>
            <h2>Capacity</h2>
            <table><tr><th>System</th><th>Records/day</th><th>Requests/day</th><th>Headroom</th><th>Cost</th><th>First limit as volumes grow</th></tr>\(planRows.joined())</table>
            <h2>Findings</h2>
            \(findings(report.findings))
            """
        return html(title: "Overview", depth: 0, body: body)
    }

    static func growth(_ plan: SystemPlan) -> String {
        guard plan.limitsKnown else { return "limits unknown" }
        if plan.overToday != nil { return "already over at 1×" }
        return plan.growth.first { $0.firstLimit != nil }.map { "\($0.factor)×: \($0.firstLimit!)" } ?? "fits at 10×"
    }

    /// A page per system: what it is, who owns it, every integration that reads or writes it,
    /// what stops when it is down (downstream integrations and their systems), its capacity.
    static func systemPage(_ system: SystemDefinition, workspace: Workspace, report: CheckReport, plans: [SystemPlan]) -> String {
        func link(_ id: String) -> String { "<a href=\"../integrations/\(e(id)).html\">\(e(id))</a>" }
        func systemLink(_ id: String) -> String {
            let bare = id.hasSuffix(" (again)") ? String(id.dropLast(8)) : id
            return workspace.landscape.system(bare) == nil ? e(id) : "<a href=\"\(e(bare)).html\">\(e(id))</a>"
        }
        let touches = Impact.analyse(Impact.Subject(system: system.id), in: workspace)
        let uses = touches.map { touch in
            "<tr><td>\(link(touch.integration))</td><td>\(touch.way.rawValue)</td><td>\(e(touch.reason))</td></tr>"
        }
        // Down: what writes to it cannot deliver (its messages wait and are retried), what reads
        // from it receives nothing, and what lies downstream of those gets nothing new.
        var down: [String] = []
        for touch in touches {
            let what =
                touch.way == .writes
                ? "\(link(touch.integration)) cannot deliver: its messages wait in the hub and are retried until it answers"
                : "\(link(touch.integration)) receives nothing from it"
            let after = touch.downstream.map { path in
                path.enumerated().map { index, step in index % 2 == 0 ? systemLink(step) : link(step) }.joined(separator: " → ")
            }
            let downstream = after.isEmpty ? "" : "; downstream, nothing new reaches: <ul>\(after.map { "<li>\($0)</li>" }.joined())</ul>"
            down.append("<li>\(what)\(downstream)</li>")
        }
        let plan = plans.first { $0.system == system.id }
        var capacity = "<p>No integration writes to it or polls it.</p>"
        if let plan {
            if plan.limitsKnown {
                let rows = plan.limits.map {
                    "<tr><td>\(e($0.name))</td><td>\(PlanOutput.number($0.used))</td><td>\(PlanOutput.number($0.allowed))</td><td>\(PlanOutput.percent($0.share))</td></tr>"
                }
                let loads = plan.loads.map { "<li>\(e(PlanOutput.load($0, plan: plan)))</li>" }
                capacity =
                    "<p>Headroom: \(e(PlanOutput.headroom(plan))). Cost: \(e(PlanOutput.money(plan.monthlyCost, plan.currency))).</p>"
                    + "<table><tr><th>Limit</th><th>Used at peak</th><th>Allowed</th><th>Share</th></tr>\(rows.joined())</table><ul>\(loads.joined())</ul>"
            } else {
                capacity = "<p class=\"warning\">Limits unknown: the system declares none, so nothing says whether its integrations fit.</p>"
            }
        }
        func row(_ name: String, _ value: String) -> String { "<tr><th>\(name)</th><td>\(value)</td></tr>" }
        let facts = [
            row("Kind", e(workspace.registry.spec(system.kind)?.title ?? system.kind)),
            row("Description", e(system.description ?? "not described")), row("Owner", e(system.owner ?? "not named")),
            row("Location", system.location?.rawValue ?? "not declared"),
        ]
        let integrations =
            uses.isEmpty
            ? "<p>No integration reads or writes it.</p>" : "<table><tr><th>Integration</th><th>Way</th><th>What</th></tr>\(uses.joined())</table>"
        let body = [
            "<h2>\(e(system.id))</h2>", "<table>\(facts.joined())</table>", "<h2>Integrations</h2>", integrations,
            "<h2>If it is down</h2>", down.isEmpty ? "<p>Nothing stops.</p>" : "<ul>\(down.joined())</ul>", "<h2>Capacity</h2>", capacity,
            "<h2>Findings</h2>", findings(report.findings.filter { $0.system == system.id }),
        ].joined(separator: "\n")
        return html(title: system.id, depth: 1, body: body)
    }

    static func page(_ integration: Integration, workspace: Workspace, report: CheckReport, plans: [SystemPlan]) -> String {
        let goals = integration.alignsWith.map { id in workspace.landscape.goals.first { $0.id == id }?.title ?? id }
        let source: String = {
            if let webhook = integration.source.webhook { return "webhook <code>POST \(e(webhook.path))</code> (\(webhook.format))" }
            if let poll = integration.source.poll { return code(poll.settings.summary) }
            return ""
        }()
        let steps = integration.steps.map { step -> String in
            switch step {
            case .filter: return "<li>filter (keeps the messages whose condition holds)</li>"
            case .map(let fields): return "<li>map to \(fields.map { "<code>\(e($0.field))</code>" }.joined(separator: ", "))</li>"
            }
        }
        let target = code(integration.target.settings.summary)
        let delivery = integration.delivery
        let plan = plans.first { $0.integrations.contains(integration.id) }
        let planRows =
            plan.map { plan in
                plan.limits.map {
                    "<tr><td>\(e($0.name))</td><td>\(PlanOutput.number($0.used))</td><td>\(PlanOutput.number($0.allowed))</td><td>\(PlanOutput.percent($0.share))</td></tr>"
                }.joined()
            } ?? ""
        func row(_ name: String, _ value: String) -> String { "<tr><th>\(name)</th><td>\(value)</td></tr>" }
        let body = """
            <h2>\(e(integration.title))</h2>
            <table>
            \(row("Goal", e(integration.goal ?? "not documented")))
            \(row("Benefits", integration.benefits.isEmpty ? "not documented" : "<ul>\(integration.benefits.map { "<li>\(e($0))</li>" }.joined())</ul>"))
            \(row("Serves", goals.isEmpty ? "no organisation goal named" : e(goals.joined(separator: "; "))))
            \(row("Owner", e(integration.owner ?? "not named")))
            \(row("Stakeholders", e(integration.stakeholders.joined(separator: ", "))))
            \(row("Pattern", integration.pattern.rawValue + (integration.syncJustification.map { " — \(e($0))" } ?? "")))
            \(row("Boundary", e(integration.boundaryCrossing ?? "does not cross, or not said")))
            \(row("Source", "<a href=\"../systems/\(e(integration.source.system)).html\">\(e(integration.source.system))</a>: \(source)"))
            \(row("Steps", steps.isEmpty ? "none" : "<ol>\(steps.joined())</ol>"))
            \(row("Target", "<a href=\"../systems/\(e(integration.target.system)).html\">\(e(integration.target.system))</a>: \(target)"))
            \(row("Delivery", "\(delivery.maxAttempts) attempts, backoff \(delivery.backoff.initial.spoken) to \(delivery.backoff.maximum.spoken), timeout \(delivery.timeout.spoken)" + (delivery.orderingKey.map { ", ordered by <code>\(e($0.description))</code>" } ?? "")))
            \(row("Volumes", integration.volumes.map { v in [v.perDay.map { "\(LandscapeDiagram.grouped($0)) a day" }, v.peakPerMinute.map { "\(LandscapeDiagram.grouped($0)) at the peak minute" }, v.payloadBytes.map { "\($0) bytes each" }].compactMap { $0 }.joined(separator: ", ") } ?? "not declared"))
            \(row("Objective", integration.slo?.deliveryLatency.map { "delivered within \($0.spoken)" } ?? "not declared"))
            \(row("Tests", "\(integration.tests.count)"))
            </table>
            <h2>Design decision</h2>
            \(decision(integration.design, principles: workspace.landscape.principles))
            <h2>Checklist</h2>
            \(checklist(report, integration: integration.id, systems: [integration.source.system, integration.target.system]))
            <h2>Findings</h2>
            \(findings(report.findings.filter { $0.integration == integration.id || [integration.source.system, integration.target.system].contains($0.system ?? "") }))
            <h2>Capacity of \(e(integration.target.system))</h2>
            \(plan == nil ? "<p>No plan.</p>" : "<p>Shared with \(plan!.integrations.count - 1) other integration(s). Headroom \(e(PlanOutput.headroom(plan!))).</p><table><tr><th>Limit</th><th>Used at peak</th><th>Allowed</th><th>Share</th></tr>\(planRows)</table>")
            """
        return html(title: integration.id, depth: 1, body: body)
    }

    /// The options side by side, one column each, the chosen one marked; then the reason and any exceptions.
    static func decision(_ design: DesignDecision?, principles: [Principle]) -> String {
        guard let design else { return "<p class=\"warning\">No design decision is recorded.</p>" }
        let header = design.options.map { option in
            option.name == design.chosen ? "<th class=\"ok\">★ \(e(option.name)) (chosen)</th>" : "<th>\(e(option.name))</th>"
        }
        func list(_ items: [String]) -> String { items.isEmpty ? "—" : "<ul>\(items.map { "<li>\(e($0))</li>" }.joined())</ul>" }
        var html = "<p>Style: <strong>\(design.style?.rawValue ?? "not stated")</strong>.</p>"
        if !design.options.isEmpty {
            html += "<table><tr><th></th>\(header.joined())</tr>"
            html += "<tr><th>Style</th>\(design.options.map { "<td>\($0.style?.rawValue ?? "—")</td>" }.joined())</tr>"
            html += "<tr><th>Benefits</th>\(design.options.map { "<td>\(list($0.benefits))</td>" }.joined())</tr>"
            html += "<tr><th>Drawbacks</th>\(design.options.map { "<td>\(list($0.drawbacks))</td>" }.joined())</tr></table>"
        }
        html += "<p>Why: \(e(design.reason ?? "not recorded"))</p>"
        for exception in design.exceptions {
            let title = principles.first { $0.id == exception.principle }?.title ?? exception.principle
            html +=
                "<p class=\"warning\">Exception to <code>\(e(exception.principle))</code> (\(e(title))): \(e(exception.reason ?? "no reason given")) — approved by \(e(exception.approver ?? "nobody"))</p>"
        }
        return html
    }

    static func principles(_ workspace: Workspace) -> String {
        guard !workspace.landscape.principles.isEmpty else { return "<p>No principles are declared.</p>" }
        let rows = workspace.landscape.principles.map { principle -> String in
            let rule: String =
                switch principle.rule {
                case .defaultPattern(let pattern): "default pattern: \(pattern.rawValue)"
                case .syncAllowedWhen(let text): "synchronous only when \(text)"
                case .boundaryVia(let ways): "cross the boundary by \(ways.joined(separator: " or "))"
                case .preferredStyles(let styles):
                    styles.keys.sorted().map { "\($0): \(styles[$0]!.map(\.rawValue).joined(separator: ", "))" }.joined(separator: "; ")
                case .noPersonalDataTo(let systems, let fields): "no \(fields.joined(separator: ", ")) to \(systems.joined(separator: ", "))"
                }
            let count = workspace.integrations.filter { $0.design?.exceptions.contains { $0.principle == principle.id } == true }.count
            return
                "<tr><td><code>\(e(principle.id))</code></td><td>\(e(principle.title))</td><td>\(e(rule))</td><td>\(count == 0 ? "none" : "<a href=\"exceptions.html\">\(count)</a>")</td></tr>"
        }
        return "<table><tr><th>Id</th><th>Principle</th><th>Rule</th><th>Exceptions</th></tr>\(rows.joined())</table>"
    }

    /// Every exception to a principle on one page, so a change board sees them together.
    static func exceptions(_ workspace: Workspace) -> String {
        let rows = workspace.integrations.flatMap { integration in
            (integration.design?.exceptions ?? []).map { exception in
                let title = workspace.landscape.principles.first { $0.id == exception.principle }?.title ?? exception.principle
                return
                    "<tr><td><a href=\"integrations/\(e(integration.id)).html\">\(e(integration.id))</a></td><td><code>\(e(exception.principle))</code> \(e(title))</td><td>\(e(exception.reason ?? "—"))</td><td>\(e(exception.approver ?? "—"))</td></tr>"
            }
        }
        let body =
            rows.isEmpty
            ? "<p class=\"ok\">No integration makes an exception to a principle.</p>"
            : "<table><tr><th>Integration</th><th>Principle</th><th>Reason</th><th>Approved by</th></tr>\(rows.joined())</table>"
        return html(title: "Exceptions to principles", depth: 0, body: "<h2>Exceptions to the architecture principles</h2>\n" + body)
    }

    static func markdown(_ workspace: Workspace, report: CheckReport) -> String {
        var lines = [
            "# Integration landscape", "", "```mermaid", LandscapeDiagram.mermaid(workspace), "```", "",
            "| integration | from → to | pattern | per day | owner | goal |", "|---|---|---|---|---|---|",
        ]
        for integration in workspace.integrations {
            lines.append(
                "| \(MarkdownText.cell(integration.id)) | \(MarkdownText.cell(integration.source.system)) → \(MarkdownText.cell(integration.target.system)) | \(integration.pattern.rawValue) | \(integration.volumes?.perDay.map { LandscapeDiagram.grouped($0) } ?? "—") | \(MarkdownText.cell(integration.owner ?? "—")) | \(MarkdownText.cell(integration.goal ?? "—")) |"
            )
        }
        lines += [
            "",
            "\(report.count(.error)) errors, \(report.count(.warning)) warnings, \(report.suppressedCount) suppressed findings (`switchboard check`).",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
