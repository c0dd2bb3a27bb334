import Foundation
import SwitchboardModel

/// `plan`'s figures as text, JSON or Markdown.
public enum PlanOutput {
    public enum Format: String, Sendable, CaseIterable { case text, json, markdown }

    public static func render(_ plans: [SystemPlan], as format: Format) -> String {
        switch format {
        case .text: plans.map(text).joined(separator: "\n")
        case .json: JSONValue.array(plans.map(json)).pretty() + "\n"
        case .markdown: "# Capacity plan\n\n" + plans.map(markdown).joined(separator: "\n")
        }
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
        if let batch = plan.fittingBatchSize { lines.append("batch size that fits the peak with today's users: \(batch)") }
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
        for use in plan.limits {
            lines.append("  \(use.name): \(number(use.used)) of \(number(use.allowed)) (\(percent(use.share))) — \(use.source)")
        }
        lines.append("  headroom: \(percent(plan.headroom))")
        lines += fits(plan).map { "  " + $0 }
        lines.append("  cost: \(money(plan.monthlyCost, plan.currency))")
        for growth in plan.growth {
            lines.append(
                "  at \(growth.factor)×: \(growth.firstLimit.map { "reaches \($0)" } ?? "fits") (largest share \(percent(growth.largestShare))); \(money(growth.monthlyCost, plan.currency))"
            )
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
            "headroom": plan.headroom.isFinite ? .double(plan.headroom) : .null,
            "fitting_batch_size": plan.fittingBatchSize.map { .int(Int64($0)) } ?? .null,
            "needed_concurrency": plan.neededConcurrency.map { .int(Int64($0)) } ?? .null,
            "needed_users": plan.neededUsers.map { .int(Int64($0)) } ?? .null,
            "monthly_cost": plan.monthlyCost.map(JSONValue.double) ?? .null, "currency": plan.currency.map(JSONValue.string) ?? .null,
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
        lines.append("| limit | used at peak | allowed | share | source |")
        lines.append("|---|---|---|---|---|")
        for use in plan.limits {
            lines.append("| \(use.name) | \(number(use.used)) | \(number(use.allowed)) | \(percent(use.share)) | \(use.source) |")
        }
        lines.append("")
        lines.append("Headroom \(percent(plan.headroom)). " + fits(plan).joined(separator: "; ") + (fits(plan).isEmpty ? "" : "."))
        lines.append("")
        lines.append("| volume | first limit reached | largest share | monthly cost |")
        lines.append("|---|---|---|---|")
        lines.append(
            "| today | \(plan.limits.filter { $0.share >= 1 }.max { $0.share < $1.share }?.name ?? "none") | \(percent(plan.largestShare)) | \(money(plan.monthlyCost, plan.currency)) |"
        )
        for growth in plan.growth {
            lines.append(
                "| \(growth.factor)× | \(growth.firstLimit ?? "none") | \(percent(growth.largestShare)) | \(money(growth.monthlyCost, plan.currency)) |"
            )
        }
        if !plan.assumptions.isEmpty { lines += [""] + plan.assumptions.map { "- Assumed: \($0)" } }
        return lines.joined(separator: "\n") + "\n"
    }
}
