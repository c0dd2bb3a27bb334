import Foundation
import SwitchboardModel

/// `plan`'s figures as text, JSON or Markdown.
public enum PlanOutput {
    public enum Format: String, Sendable, CaseIterable { case text, json, markdown }

    /// - Parameter environment: The environment whose connections were planned, named first.
    public static func render(_ plans: [SystemPlan], as format: Format, environment: String? = nil) -> String {
        let named = environment.map { "environment: \($0) (its connections' batch sizes and application users)" }
        switch format {
        case .text: return (named.map { $0 + "\n\n" } ?? "") + plans.map(text).joined(separator: "\n")
        case .json:
            guard let environment else { return JSONValue.array(plans.map(json)).pretty() + "\n" }
            return JSONValue.object(["environment": .string(environment), "systems": .array(plans.map(json))]).pretty() + "\n"
        case .markdown: return "# Capacity plan\n\n" + (named.map { "The \($0).\n\n" } ?? "") + plans.map(markdown).joined(separator: "\n")
        }
    }

    /// A plan's headroom in words: unknown without limits, none when a limit is over today.
    static func headroom(_ plan: SystemPlan) -> String {
        guard plan.limitsKnown else { return "limits unknown" }
        if let over = plan.overToday { return "none: already over at 1× (\(over.name) at \(percent(over.share)))" }
        return percent(plan.headroom)
    }

    /// Each integration's part, in a sentence: its requests per window, execution time,
    /// entitlement and the largest share it takes alone.
    static func load(_ load: IntegrationLoad, plan: SystemPlan) -> String {
        let window = Planner.format(Double(plan.window.milliseconds) / 1000)
        var parts = [
            load.reads
                ? "reads by polling: \(number(load.peakRequestsPerWindow)) requests per \(window) s"
                : "\(number(load.recordsPerDay)) records a day, \(number(load.peakRequestsPerWindow)) requests per \(window) s at its peak"
        ]
        if let seconds = load.executionSeconds { parts.append("\(number(seconds)) s of execution time") }
        parts.append("\(number(load.entitlementPerDay)) a day against the entitlement")
        if let worst = load.shares.max(by: { $0.value < $1.value }), plan.limitsKnown {
            parts.append("alone \(percent(worst.value)) of \(worst.key)" + (worst.value >= 1 ? ", over the limit on its own" : ""))
        }
        return "\(load.integration): " + parts.joined(separator: ", ")
    }

    static func number(_ value: Double) -> String {
        if value >= 100 || value == value.rounded() { return value.clampedWhole.formatted(.number.locale(Locale(identifier: "en_US"))) }
        return String(format: "%.2f", value)
    }

    static func percent(_ share: Double) -> String { share.isFinite ? "\((share * 100).clampedWhole)%" : "∞" }

    static func money(_ value: Double?, _ currency: String?) -> String {
        guard let value else { return "no cost model" }
        return "\(String(format: "%.2f", value)) \(currency ?? "")/month"
    }

    static func fits(_ plan: SystemPlan) -> [String] {
        var lines: [String] = []
        if let batch = plan.fittingBatchSize {
            lines.append("batch size with which every limit stays under \(percent(Planner.threshold)) with today's users: \(batch)")
        }
        if let noFit = plan.noFit { lines.append("no batch size fits: \(noFit)") }
        if let concurrency = plan.neededConcurrency { lines.append("concurrency the peak needs: \(concurrency)") }
        if let users = plan.neededUsers {
            lines.append("application users the peak needs at today's batch size: \(users) (configured: \(plan.users))")
        }
        return lines
    }

    static func text(_ plan: SystemPlan) -> String {
        var lines = ["\(plan.system) (written by \(plan.integrations.joined(separator: ", ")))"]
        lines.append(
            "  per day: \(number(plan.recordsPerDay)) records in \(number(plan.requestsPerDay)) requests; peak \(number(plan.peakRecordsPerSecond)) records/s, \(number(plan.peakRequestsPerWindow)) requests per \(Planner.format(Double(plan.window.milliseconds) / 1000)) s window"
        )
        guard plan.limitsKnown else {
            lines.append("  limits: unknown: the system declares none and its kind documents none; declare systems[].limits to plan it")
            lines += plan.loads.map { "    " + load($0, plan: plan) }
            lines.append("  cost: \(money(plan.monthlyCost, plan.currency))")
            lines += plan.assumptions.map { "  assumed: " + $0 }
            return lines.joined(separator: "\n") + "\n"
        }
        for use in plan.limits {
            lines.append("  \(use.name): \(number(use.used)) of \(number(use.allowed)) (\(percent(use.share))) — \(use.source)")
        }
        if plan.loads.count > 1 || plan.loads.contains(where: \.reads) { lines += plan.loads.map { "    " + load($0, plan: plan) } }
        lines.append("  headroom: \(headroom(plan))")
        lines += fits(plan).map { "  " + $0 }
        lines.append(
            "  cost: \(money(plan.monthlyCost, plan.currency))"
                + (plan.oneOffCost.map { ", and one-off loads \(String(format: "%.2f", $0)) \(plan.currency ?? "") once" } ?? ""))
        for growth in plan.growth {
            let verdict =
                plan.overToday != nil ? "over (already over at 1×)" : growth.firstLimit.map { "reaches \($0)" } ?? "fits"
            lines.append(
                "  at \(growth.factor)×: \(verdict) (largest share \(percent(growth.largestShare))); \(money(growth.monthlyCost, plan.currency))")
        }
        lines += plan.assumptions.map { "  assumed: " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ plan: SystemPlan) -> JSONValue {
        .object([
            "system": .string(plan.system), "integrations": .array(plan.integrations.map(JSONValue.string)),
            "records_per_day": .double(plan.recordsPerDay), "requests_per_day": .double(plan.requestsPerDay),
            "peak_records_per_second": .double(plan.peakRecordsPerSecond), "peak_requests_per_window": .double(plan.peakRequestsPerWindow),
            "window_seconds": .double(Double(plan.window.milliseconds) / 1000), "users": .int(Int64(plan.users)),
            "limits": .array(
                plan.limits.map {
                    .object([
                        "name": .string($0.name), "used": .double($0.used), "allowed": .double($0.allowed),
                        "share": $0.share.isFinite ? .double($0.share) : .null, "source": .string($0.source),
                    ])
                }),
            "limits_known": .bool(plan.limitsKnown),
            "headroom": plan.limitsKnown && plan.headroom.isFinite ? .double(plan.headroom) : .null,
            "over_today": plan.overToday.map { .string($0.name) } ?? .null,
            "integrations_detail": .array(
                plan.loads.map { load in
                    .object([
                        "integration": .string(load.integration), "reads": .bool(load.reads), "records_per_day": .double(load.recordsPerDay),
                        "peak_requests_per_window": .double(load.peakRequestsPerWindow),
                        "execution_seconds": load.executionSeconds.map(JSONValue.double) ?? .null,
                        "entitlement_per_day": .double(load.entitlementPerDay),
                        "shares": .object(load.shares.mapValues { $0.isFinite ? .double($0) : .null }),
                    ])
                }),
            "fitting_batch_size": plan.fittingBatchSize.map { .int(Int64($0)) } ?? .null,
            "no_fit": plan.noFit.map(JSONValue.string) ?? .null,
            "needed_concurrency": plan.neededConcurrency.map { .int(Int64($0)) } ?? .null,
            "needed_users": plan.neededUsers.map { .int(Int64($0)) } ?? .null,
            "monthly_cost": plan.monthlyCost.map(JSONValue.double) ?? .null,
            "one_off_cost": plan.oneOffCost.map(JSONValue.double) ?? .null, "currency": plan.currency.map(JSONValue.string) ?? .null,
            "growth": .array(
                plan.growth.map {
                    .object([
                        "factor": .int(Int64($0.factor)), "first_limit": $0.firstLimit.map(JSONValue.string) ?? .null,
                        "largest_share": $0.largestShare.isFinite ? .double($0.largestShare) : .null,
                        "monthly_cost": $0.monthlyCost.map(JSONValue.double) ?? .null,
                    ])
                }),
            "assumptions": .array(plan.assumptions.map(JSONValue.string)),
        ])
    }

    static func markdown(_ plan: SystemPlan) -> String {
        var lines = [
            "## \(plan.system)", "",
            "Written by \(plan.integrations.map { "`\($0)`" }.joined(separator: ", ")): \(number(plan.recordsPerDay)) records a day in \(number(plan.requestsPerDay)) requests; at the peak \(number(plan.peakRecordsPerSecond)) records/s.",
            "",
        ]
        guard plan.limitsKnown else {
            lines.append("Limits unknown: the system declares none and its kind documents none; declare `systems[].limits` to plan it.")
            lines += [""] + plan.loads.map { "- " + load($0, plan: plan) }
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("| limit | used at peak | allowed | share | source |")
        lines.append("|---|---|---|---|---|")
        for use in plan.limits {
            lines.append("| \(use.name) | \(number(use.used)) | \(number(use.allowed)) | \(percent(use.share)) | \(use.source) |")
        }
        if plan.loads.count > 1 || plan.loads.contains(where: \.reads) { lines += [""] + plan.loads.map { "- " + load($0, plan: plan) } }
        lines.append("")
        let headroom =
            plan.overToday.map { "No headroom: already over at 1× (\($0.name) at \(percent($0.share)))." } ?? "Headroom \(percent(plan.headroom))."
        lines.append(headroom + " " + fits(plan).joined(separator: "; ") + (fits(plan).isEmpty ? "" : "."))
        lines.append("")
        lines.append("| volume | first limit reached | largest share | monthly cost |")
        lines.append("|---|---|---|---|")
        lines.append(
            "| today | \(plan.limits.filter { $0.share >= 1 }.max { $0.share < $1.share }?.name ?? "none") | \(percent(plan.largestShare)) | \(money(plan.monthlyCost, plan.currency)) |"
        )
        for growth in plan.growth {
            lines.append(
                "| \(growth.factor)× | \(plan.overToday != nil ? "already over at 1×" : growth.firstLimit ?? "none") | \(percent(growth.largestShare)) | \(money(growth.monthlyCost, plan.currency)) |"
            )
        }
        if !plan.assumptions.isEmpty { lines += [""] + plan.assumptions.map { "- Assumed: \($0)" } }
        return lines.joined(separator: "\n") + "\n"
    }
}
