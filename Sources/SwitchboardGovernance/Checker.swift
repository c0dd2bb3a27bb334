import Foundation
import SwitchboardModel

/// `switchboard check`: everything `validate` does, then the strategy review, with the
/// workspace's severities and suppressions applied.
public enum Checker {
    /// Checks the workspace in `directory` for `environment` (default the first declared),
    /// without needing its secrets.
    /// A problem that stops `validate` (a secret written inline is SB190) is a finding, and the
    /// rules run on as much of the workspace as reads despite it.
    public static func check(directory: URL, registry: ConnectorRegistry, environment: String? = nil) -> CheckReport {
        let (workspace, problems) = Workspace.loadForReview(directory: directory, registry: registry, environment: environment)
        let loadFindings = problems.map { diagnostic in
            let rule = Rules.rule(diagnostic.rule ?? "SB000") ?? Rules.all[0]
            return Finding(rule: rule, severity: rule.severity, message: diagnostic.message, location: diagnostic.location)
        }
        guard let workspace else { return CheckReport(findings: loadFindings) }
        let reviewed = review(workspace)
        return CheckReport(findings: Self.sorted(loadFindings + reviewed.findings))
    }

    static func sorted(_ findings: [Finding]) -> [Finding] {
        findings.sorted {
            ($0.location.file, $0.location.line, $0.location.column, $0.rule.id) < (
                $1.location.file, $1.location.line, $1.location.column, $1.rule.id
            )
        }
    }

    /// The strategy review of a workspace that loads.
    public static func review(_ workspace: Workspace) -> CheckReport {
        var review = Review(workspace: workspace)
        review.run()
        let settings = workspace.landscape.check
        let findings = review.findings.map { finding -> Finding in
            var finding = finding
            if let override = settings.overrides[finding.rule.id] {
                finding.severity = override.severity
                if override.severity == .off { finding.suppressed = override.reason }
            }
            if let suppression = settings.suppressions.first(where: {
                $0.rule == finding.rule.id && ($0.integration == nil || $0.integration == finding.integration)
            }) {
                finding.suppressed = suppression.reason
            }
            return finding
        }
        return CheckReport(findings: sorted(findings))
    }
}

/// The rules applied to one workspace.
struct Review {
    let workspace: Workspace
    let locator: Locator
    var findings: [Finding] = []

    init(workspace: Workspace) {
        self.workspace = workspace
        locator = Locator(directory: workspace.root)
    }

    mutating func report(
        _ id: String, _ message: String, in integration: Integration? = nil, at path: [String] = [], location: SourceLocation? = nil,
        system: String? = nil
    ) {
        let rule = Rules.rule(id)!
        let site = location ?? locator.locate(integration?.file ?? "switchboard.yaml", path)
        findings.append(Finding(rule: rule, severity: rule.severity, message: message, location: site, integration: integration?.id, system: system))
    }

    mutating func run() {
        let landscape = workspace.landscape
        for system in landscape.systems where system.location == nil {
            report("SB110", "system '\(system.id)' does not say whether it runs in the cloud or on premises", location: system.declaredAt)
        }
        for integration in workspace.integrations { review(integration) }
        // Connections in every environment, for the systems the hub sends to or reads from.
        let reached = Set(workspace.integrations.map(\.target.system) + workspace.integrations.filter { $0.source.poll != nil }.map(\.source.system))
        for system in landscape.systems where reached.contains(system.id) && !(workspace.registry.spec(system.kind)?.connection.isEmpty ?? true) {
            let missing = landscape.environments.filter { system.connections[$0] == nil }
            if !missing.isEmpty {
                report(
                    "SB191",
                    "system '\(system.id)' has no connection for environment\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))",
                    location: system.declaredAt)
            }
        }
        for system in landscape.systems where system.owner?.isEmpty ?? true {
            report("SB105", "system '\(system.id)' names no owner", location: system.declaredAt, system: system.id)
        }
        let costed = landscape.systems.filter { $0.cost != nil }.map(\.id)
        for plan in Planner.plan(workspace) {
            guard let system = landscape.system(plan.system) else { continue }
            let users = plan.loads.map(\.integration)
            if !plan.limitsKnown {
                report(
                    "SB171",
                    "system '\(plan.system)' is used by \(users.joined(separator: ", ")) and declares no limits, so nothing says whether their volumes fit",
                    location: system.declaredAt, system: plan.system)
            }
            if system.cost == nil, !costed.isEmpty {
                report(
                    "SB172",
                    "system '\(plan.system)' has no cost model while \(costed.joined(separator: ", ")) declare one, so the landscape's operating cost leaves it out",
                    location: system.declaredAt, system: plan.system)
            }
            for use in plan.limits where use.share >= Planner.threshold {
                let share = (use.share * 100).clampedWhole
                let alone = plan.loads.compactMap { load -> String? in
                    guard let own = load.shares[use.name], own >= 1 else { return nil }
                    return "\(load.integration) alone uses \((own * 100).clampedWhole)%"
                }
                let message =
                    "the integrations using '\(plan.system)' (\(users.joined(separator: ", "))) use \(share)% of its \(use.name) at their declared peak"
                    + (use.share >= 1 ? ", more than it allows" : ", leaving less than 20% to spare")
                    + (alone.isEmpty ? "" : " (\(alone.joined(separator: "; ")))")
                report("SB170", message, location: system.declaredAt, system: plan.system)
                if use.share < 1 { findings[findings.count - 1].severity = .warning }
            }
        }
    }

    mutating func review(_ integration: Integration) {
        let landscape = workspace.landscape
        let id = integration.id
        if integration.goal?.isEmpty ?? true { report("SB101", "integration '\(id)' does not say its business goal", in: integration) }
        if integration.benefits.isEmpty { report("SB102", "integration '\(id)' lists no benefits", in: integration, at: ["goal"]) }
        if integration.owner?.isEmpty ?? true {
            report("SB103", "integration '\(id)' names no owner", in: integration)
        } else if integration.stakeholders.isEmpty {
            report("SB103", "integration '\(id)' names no stakeholders", in: integration, at: ["owner"])
        }
        if integration.alignsWith.isEmpty {
            report("SB104", "integration '\(id)' names no organisation goal it serves (aligns_with)", in: integration)
        }

        let source = landscape.system(integration.source.system)
        let target = landscape.system(integration.target.system)
        if let from = source?.location, let to = target?.location, from != to, integration.boundaryCrossing?.isEmpty ?? true {
            report(
                "SB111",
                "integration '\(id)' goes from \(from.rawValue) system '\(integration.source.system)' to \(to.rawValue) system '\(integration.target.system)' but does not say how it crosses the boundary",
                in: integration, at: ["target"])
        }
        if integration.pattern == .sync, integration.syncJustification?.isEmpty ?? true {
            report("SB120", "integration '\(id)' is synchronous without a written justification", in: integration, at: ["pattern"])
        }
        let alerted = landscape.alerts.contains { $0.covers(id) && ($0.conditions.contains(.deadLetters) || $0.conditions.contains(.errors)) }
        if !alerted { report("SB130", "no alert rule covers integration '\(id)' on dead letters or errors", in: integration) }

        let delivery = integration.delivery
        if delivery.maxAttempts < 2 {
            report(
                "SB140", "integration '\(id)' never retries: one failed attempt sends a message to the dead letters", in: integration,
                at: ["delivery", "max_attempts"])
        } else if delivery.maxAttempts > 100 {
            report(
                "SB140",
                "integration '\(id)' retries \(delivery.maxAttempts) times, so a message that cannot succeed takes days to reach the dead letters",
                in: integration, at: ["delivery", "max_attempts"])
        }
        if delivery.backoff.maximum < delivery.backoff.initial {
            report("SB140", "integration '\(id)' has a backoff maximum below its initial wait", in: integration, at: ["delivery", "backoff"])
        }
        if delivery.timeout > .seconds(300) {
            report("SB140", "integration '\(id)' lets one attempt run longer than 5 minutes", in: integration, at: ["delivery", "timeout"])
        }

        if let webhook = integration.source.webhook, let format = workspace.registry.webhookFormat(webhook.format), !format.messages.isEmpty,
            webhook.table == nil || webhook.messages.isEmpty
        {
            report(
                "SB113",
                "integration '\(id)' receives \(webhook.format) webhooks without saying the table and messages they are registered for (source.webhook.table, source.webhook.messages), so impact counts it as reading every table",
                in: integration, at: ["source", "webhook"])
        }
        if let problem = integration.target.settings.idempotencyProblem {
            report("SB150", "integration '\(id)' \(problem.message)", in: integration, at: problem.path)
            // Declared harmless to repeat: shown in the report as met for that reason.
            if let reason = integration.idempotentReason { findings[findings.count - 1].suppressed = "declared idempotent: \(reason)" }
        }

        if integration.pattern == .batch {
            if integration.volumes?.total == nil {
                report("SB160", "batch integration '\(id)' does not declare the records of a run (volumes.total)", in: integration, at: ["volumes"])
            }
        } else if integration.volumes?.perDay == nil || integration.volumes?.peakPerMinute == nil {
            report("SB160", "integration '\(id)' does not declare its volumes (per_day and peak_per_minute)", in: integration, at: ["volumes"])
        }
        if integration.slo?.deliveryLatency == nil {
            report("SB161", "integration '\(id)' declares no delivery-latency objective", in: integration, at: ["slo"])
        }

        let mapped = integration.steps.contains { if case .map = $0 { true } else { false } }
        if let problem = integration.source.poll?.settings.replicationProblem(mapped: mapped) {
            report("SB180", "integration '\(id)' \(problem.message)", in: integration, at: problem.path)
        } else if let name = integration.source.webhook?.format, let kind = workspace.registry.kind(offeringWebhookFormat: name),
            kind.spec.webhookFormats.contains(where: { $0.name == name && $0.carriesWholeRecords }), !mapped
        {
            report(
                "SB180", "integration '\(id)' passes whole \(kind.spec.title) records on without a map step that keeps the fields the target uses",
                in: integration, at: ["steps"])
        }
        if integration.tests.isEmpty { report("SB195", "integration '\(id)' has no tests", in: integration) }
        reviewDesign(integration)
    }

    /// SB200–SB203: the design decision, held against the landscape's principles.
    mutating func reviewDesign(_ integration: Integration) {
        let id = integration.id
        if let design = integration.design {
            var missing: [String] = []
            if design.style == nil { missing.append("style") }
            if design.options.count < 2 { missing.append("at least two options") }
            if design.options.contains(where: { $0.benefits.isEmpty || $0.drawbacks.isEmpty }) {
                missing.append("benefits and drawbacks for every option")
            }
            if design.chosen == nil { missing.append("chosen") }
            if design.reason?.isEmpty ?? true { missing.append("reason") }
            if !missing.isEmpty {
                report(
                    "SB200", "the design of integration '\(id)' does not record \(missing.joined(separator: ", "))", in: integration, at: ["design"])
            }
            if let chosen = design.chosen, !design.options.contains(where: { $0.name == chosen }) {
                report(
                    "SB201",
                    "integration '\(id)' chose '\(chosen)', which is not among its options (\(design.options.map(\.name).joined(separator: ", ")))",
                    in: integration, at: ["design", "chosen"])
            }
            for exception in design.exceptions where (exception.reason?.isEmpty ?? true) || (exception.approver?.isEmpty ?? true) {
                let lacking = [(exception.reason?.isEmpty ?? true) ? "a reason" : nil, (exception.approver?.isEmpty ?? true) ? "an approver" : nil]
                    .compactMap { $0 }
                report(
                    "SB203", "the exception of integration '\(id)' to principle \(exception.principle) lacks \(lacking.joined(separator: " and "))",
                    in: integration, location: exception.declaredAt)
            }
        } else {
            report("SB200", "integration '\(id)' records no design decision", in: integration)
        }
        for principle in workspace.landscape.principles {
            guard let (breach, path) = breach(of: principle, by: integration) else { continue }
            if integration.design?.exceptions.contains(where: { $0.principle == principle.id }) == true { continue }
            report(
                "SB202", "integration '\(id)' breaks principle \(principle.id) (\(principle.title)): \(breach), and records no exception",
                in: integration, at: path)
        }
    }

    /// How an integration breaks a principle, and the field where it does; nil when it keeps it.
    func breach(of principle: Principle, by integration: Integration) -> (String, [String])? {
        let landscape = workspace.landscape
        switch principle.rule {
        case .defaultPattern(let pattern):
            // A batch is delivered asynchronously, message by message: it keeps an asynchronous default.
            guard integration.pattern != pattern, !(pattern == .async && integration.pattern == .batch) else { return nil }
            // A principle that allows synchronous calls when justified covers a justified one.
            let allowed = landscape.principles.contains { if case .syncAllowedWhen = $0.rule { true } else { false } }
            if integration.pattern == .sync, allowed, !(integration.syncJustification?.isEmpty ?? true) { return nil }
            return ("it is \(integration.pattern.rawValue)", ["pattern"])
        case .syncAllowedWhen(let condition):
            guard integration.pattern == .sync, integration.syncJustification?.isEmpty ?? true else { return nil }
            return ("it is synchronous without saying how it meets \"\(condition)\"", ["pattern"])
        case .boundaryVia(let ways):
            let from = landscape.system(integration.source.system)?.location, to = landscape.system(integration.target.system)?.location
            guard let from, let to, from != to else { return nil }
            let crossing = integration.boundaryCrossing?.lowercased() ?? ""
            guard !ways.contains(where: { crossing.contains($0.lowercased()) }) else { return nil }
            return (
                "it crosses between cloud and on-premises \(integration.boundaryCrossing.map { "by \"\($0)\"" } ?? "without saying how"), not by \(ways.joined(separator: " or "))",
                ["boundary_crossing"]
            )
        case .preferredStyles(let preferred):
            guard let style = integration.design?.style else { return nil }
            let kinds = [integration.source.system, integration.target.system].compactMap { landscape.system($0)?.kind }
            for kind in kinds {
                if let styles = preferred[kind], !styles.contains(style) {
                    return (
                        "its style \(style.rawValue) is not one preferred for \(kind) systems (\(styles.map(\.rawValue).joined(separator: ", ")))",
                        ["design", "style"]
                    )
                }
            }
            return nil
        case .noPersonalDataTo(let systems, let fields):
            guard systems.contains(integration.target.system) else { return nil }
            let mapped = integration.steps.last { if case .map = $0 { true } else { false } }
            guard case .map(let outputs)? = mapped else {
                return ("it sends whole records to \(integration.target.system), which may hold personal data", ["target"])
            }
            let personal = Set(fields.map { $0.lowercased() })
            let named = outputs.map(\.field).filter { field in
                field.lowercased().split(separator: ".").contains { personal.contains(String($0)) }
            }
            let read = Impact.paths(integration).filter { path in
                path.lowercased().split(whereSeparator: { ".[]$".contains($0) }).contains { personal.contains(String($0)) }
            }
            guard !named.isEmpty || !read.isEmpty else { return nil }
            return ("it sends personal data (\((named + read).joined(separator: ", "))) to \(integration.target.system)", ["steps"])
        }
    }
}
