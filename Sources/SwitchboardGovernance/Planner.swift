import Foundation
import SwitchboardModel

/// One limit of a system and how much of it the declared volumes use.
public struct LimitUse: Sendable, Hashable {
    /// For example `requests per 300 s`.
    public var name: String
    public var used: Double
    public var allowed: Double
    /// Where the allowed figure comes from.
    public var source: String

    /// `used / allowed`; 1 means the limit is reached.
    public var share: Double { allowed > 0 ? used / allowed : .infinity }
}

/// The plan for one target system: what every integration writing to it sends, against its limits.
public struct SystemPlan: Sendable {
    public var system: String
    public var integrations: [String]
    /// Records (messages) written per day, from the integrations' `volumes.per_day`.
    public var recordsPerDay: Double
    /// HTTP requests per day after batching.
    public var requestsPerDay: Double
    /// Records per second at the peak minute.
    public var peakRecordsPerSecond: Double
    /// Requests per limit window at the peak minute, after batching.
    public var peakRequestsPerWindow: Double
    public var window: Duration
    public var limits: [LimitUse]
    /// Application users the limits are counted for (Dataverse); 1 otherwise.
    public var users: Int
    /// What fits the peak: the batch size that keeps requests under the limit with today's users,
    /// the concurrency the peak needs, and the users the peak needs at today's batch size.
    public var fittingBatchSize: Int?
    public var neededConcurrency: Int?
    public var neededUsers: Int?
    public var monthlyCost: Double?
    public var currency: String?
    /// At 2, 5 and 10 times today's volumes: the first limit reached, if any, and the cost.
    public var growth: [(factor: Int, firstLimit: String?, largestShare: Double, monthlyCost: Double?)]
    /// Figures the plan had to assume, in sentences.
    public var assumptions: [String]

    /// The largest share of any limit; 1 − this is the headroom.
    public var largestShare: Double { limits.map(\.share).max() ?? 0 }
    public var headroom: Double { 1 - largestShare }
}

/// `switchboard plan`: the arithmetic of volumes against limits, entitlements and costs.
public enum Planner {
    /// One plan per system that integrations write to, in the landscape's order.
    public static func plan(_ workspace: Workspace) -> [SystemPlan] {
        workspace.landscape.systems.compactMap { system in
            let writers = workspace.integrations.filter { $0.target.system == system.id }
            guard !writers.isEmpty else { return nil }
            let facts =
                workspace.registry.kind(system.kind)?.planning(of: workspace.connection(of: system.id)?.settings, window: system.limits.window)
                ?? PlanningFacts()
            return plan(system, writers: writers, facts: facts)
        }
    }

    static func plan(_ system: SystemDefinition, writers: [Integration], facts: PlanningFacts) -> SystemPlan {
        var assumptions: [String] = []
        let users = facts.users
        let batch = Double(facts.batchSize)
        let limits = system.limits
        let windowSeconds = Double(limits.window.milliseconds) / 1000
        var recordsPerDay = 0.0, peakPerSecond = 0.0
        for integration in writers {
            let perDay = Double(integration.volumes?.perDay ?? 0)
            if integration.volumes?.perDay == nil { assumptions.append("\(integration.id) declares no volumes.per_day; counted as 0.") }
            recordsPerDay += perDay
            if let peak = integration.volumes?.peakPerMinute {
                peakPerSecond += Double(peak) / 60
            } else {
                peakPerSecond += perDay / 86_400
                if perDay > 0 { assumptions.append("\(integration.id) declares no volumes.peak_per_minute; its day is assumed even.") }
            }
        }
        let requestsPerDay = (recordsPerDay / batch).rounded(.up)
        let peakRecordsPerWindow = peakPerSecond * windowSeconds
        let peakRequestsPerWindow = peakRecordsPerWindow / batch
        /// Where a limit's figure comes from: the service's documented default (scaled to the window), or the workspace.
        func source(_ field: String, isDefault: Bool) -> String {
            facts.documented != nil && isDefault
                ? "\(facts.documentedSource), × \(users) user(s)" : "systems[].limits.\(field)" + (users > 1 ? ", × \(users) user(s)" : "")
        }
        let defaults = facts.documented ?? SystemLimits()
        var uses: [LimitUse] = []
        if let maximum = limits.maxRequests {
            uses.append(
                LimitUse(
                    name: "requests per \(format(windowSeconds)) s", used: peakRequestsPerWindow, allowed: Double(maximum * users),
                    source: source("max_requests", isDefault: maximum == defaults.maxRequests)))
        }
        let perRecord = limits.timePerRecord.map { Double($0.milliseconds) / 1000 }
        if let perRecord {
            if let maximum = limits.maxExecution {
                uses.append(
                    LimitUse(
                        name: "execution time per \(format(windowSeconds)) s", used: peakRecordsPerWindow * perRecord,
                        allowed: Double(maximum.milliseconds) / 1000 * Double(users),
                        source: source("max_execution_time", isDefault: maximum == defaults.maxExecution)))
            }
            if let maximum = limits.maxConcurrent {
                uses.append(
                    LimitUse(
                        name: "requests in flight", used: peakPerSecond * perRecord, allowed: Double(maximum * users),
                        source: source("max_concurrent", isDefault: maximum == defaults.maxConcurrent)))
            }
        } else if limits.maxExecution != nil || limits.maxConcurrent != nil {
            assumptions.append(
                "No limits.time_per_record: execution time and concurrency are not planned; measure a write (the emulator's --latency helps) and set it."
            )
        }
        if let entitlement = limits.requestsPerDay {
            // An entitlement may count every operation, batched or not (Dataverse's does).
            let operations = facts.entitlementCountsOperations
            uses.append(
                LimitUse(
                    name: operations ? "operations per 24 h (entitlement)" : "requests per 24 h (entitlement)",
                    used: operations ? recordsPerDay : requestsPerDay, allowed: Double(entitlement),
                    source: facts.documented != nil && entitlement == defaults.requestsPerDay
                        ? facts.entitlementSource : "systems[].limits.requests_per_day"))
        }
        var fittingBatch: Int?, neededUsers: Int?, neededConcurrency: Int?
        if let maximum = limits.maxRequests {
            fittingBatch = min(1_000, max(1, whole(peakRecordsPerWindow / (Double(maximum) * Double(users)))))
            if facts.limitsPerUser { neededUsers = max(1, whole(peakRequestsPerWindow / Double(maximum))) }
        }
        if let perRecord {
            neededConcurrency = max(1, whole(peakPerSecond * perRecord))
            if facts.limitsPerUser, let execution = limits.maxExecution {
                let byTime = whole(peakRecordsPerWindow * perRecord / max(0.001, Double(execution.milliseconds) / 1000))
                neededUsers = max(neededUsers ?? 1, byTime)
            }
        }
        func cost(_ factor: Double) -> Double? {
            guard let model = system.cost else { return nil }
            let payload = Double(writers.compactMap { $0.volumes?.payloadBytes }.max() ?? 0)
            return model.fixed + model.perNode * Double(model.nodes) + requestsPerDay * factor * 30 * model.perRequest
                + recordsPerDay * factor * 30 * model.perRecord + recordsPerDay * factor * 30 * payload / 1e9 * model.perGBStored
        }
        let growth = [2, 5, 10].map { factor -> (Int, String?, Double, Double?) in
            let scaled = uses.map { LimitUse(name: $0.name, used: $0.used * Double(factor), allowed: $0.allowed, source: $0.source) }
            let first = scaled.filter { $0.share >= 1 }.max { $0.share < $1.share }?.name
            return (factor, first, scaled.map(\.share).max() ?? 0, cost(Double(factor)))
        }
        return SystemPlan(
            system: system.id, integrations: writers.map(\.id), recordsPerDay: recordsPerDay, requestsPerDay: requestsPerDay,
            peakRecordsPerSecond: peakPerSecond, peakRequestsPerWindow: peakRequestsPerWindow, window: limits.window, limits: uses,
            users: users, fittingBatchSize: fittingBatch, neededConcurrency: neededConcurrency, neededUsers: neededUsers,
            monthlyCost: cost(1), currency: system.cost?.currency, growth: growth, assumptions: assumptions)
    }

    /// A figure rounded up to a whole number, held inside what `Int` can carry: declared volumes
    /// may be as large as a workspace can write, and a plan must never trap on them.
    static func whole(_ value: Double) -> Int { value.rounded(.up).clampedWhole }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(value.clampedWhole) : String(format: "%.2f", value)
    }
}

extension Double {
    /// Rounded to the nearest whole number and held inside what `Int` can carry (NaN is 0): a
    /// figure computed from declared volumes may be as large as a workspace can write, and no
    /// output may trap on it.
    var clampedWhole: Int {
        guard !isNaN else { return 0 }
        return Int(Swift.min(Swift.max(rounded(), -9e18), 9e18))
    }
}
