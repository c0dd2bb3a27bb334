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

/// One integration's part of a system's plan: what it alone sends (or reads) at its peak, and
/// the largest share of a limit it takes on its own.
public struct IntegrationLoad: Sendable, Hashable {
    public var integration: String
    /// True for a change feed polled from the system (reads), false for an integration writing to it.
    public var reads: Bool
    public var recordsPerDay: Double
    /// Requests per limit window at its peak, after batching (a poll is one request).
    public var peakRequestsPerWindow: Double
    /// Seconds of the system's execution time per window at its peak; nil when not known.
    public var executionSeconds: Double?
    /// What it counts against the daily entitlement (operations or requests, as the system counts).
    public var entitlementPerDay: Double
    /// Each limit's share that it alone takes, by limit name.
    public var shares: [String: Double]

    /// The largest share of any limit it takes alone.
    public var largestShare: Double { shares.values.max() ?? 0 }
}

/// The plan for one system: what every integration writing to it and reading from it sends,
/// against its limits.
public struct SystemPlan: Sendable {
    public var system: String
    /// The integrations writing to it.
    public var integrations: [String]
    /// Records (messages) written per day, from the integrations' `volumes.per_day`.
    public var recordsPerDay: Double
    /// HTTP requests per day after batching, reads included.
    public var requestsPerDay: Double
    /// Records per second at the peak minute.
    public var peakRecordsPerSecond: Double
    /// Requests per limit window at the peak, after batching, reads included; no integration
    /// sends more in a window than its whole day.
    public var peakRequestsPerWindow: Double
    public var window: Duration
    public var limits: [LimitUse]
    /// False when the system declares no limits and its kind documents none: then nothing can be
    /// said about headroom or growth.
    public var limitsKnown: Bool
    /// Each integration's part, writers first, then change feeds read from the system.
    public var loads: [IntegrationLoad]
    /// Application users the limits are counted for (Dataverse); 1 otherwise.
    public var users: Int
    /// The batch size in use.
    public var batchSize: Int
    /// What fits the peak: the smallest batch size with which every limit is under its
    /// threshold with today's users (nil when none does: `noFit` says why and what does), the
    /// concurrency the peak needs, and the users the peak needs at today's batch size.
    public var fittingBatchSize: Int?
    public var noFit: String?
    public var neededConcurrency: Int?
    public var neededUsers: Int?
    public var monthlyCost: Double?
    /// What the one-off batch loads (`pattern: batch`, `runs: once`) cost once; nil: none.
    public var oneOffCost: Double?
    public var currency: String?
    /// At 2, 5 and 10 times today's volumes: the first limit reached, if any, and the cost.
    public var growth: [(factor: Int, firstLimit: String?, largestShare: Double, monthlyCost: Double?)]
    /// Figures the plan had to assume, in sentences.
    public var assumptions: [String]

    /// The largest share of any limit; 1 − this is the headroom.
    public var largestShare: Double { limits.map(\.share).max() ?? 0 }
    public var headroom: Double { 1 - largestShare }
    /// The limit over its allowance today, the most over first; nil when every one fits.
    public var overToday: LimitUse? { limits.filter { $0.share >= 1 }.max { $0.share < $1.share } }
}

/// `switchboard plan`: the arithmetic of volumes against limits, entitlements and costs.
public enum Planner {
    /// The share of a limit above which a plan does not count it as fitting. 0.8, as SB170 warns.
    public static let threshold = 0.8
    /// The largest batch a plan recommends. 1,000, Dataverse's `$batch` limit.
    public static let largestBatch = 1_000

    /// The environment a plan is for when none is asked for: the one named `production`, if
    /// declared, else the first.
    public static func defaultEnvironment(_ environments: [String]) -> String? {
        environments.contains("production") ? "production" : environments.first
    }

    /// One plan per system that integrations write to or poll, in the landscape's order, for the
    /// workspace's environment.
    public static func plan(_ workspace: Workspace) -> [SystemPlan] {
        workspace.landscape.systems.compactMap { system in
            let writers = workspace.integrations.filter { $0.target.system == system.id }
            let readers = workspace.integrations.filter { $0.source.system == system.id && $0.source.poll != nil }
            guard !writers.isEmpty || !readers.isEmpty else { return nil }
            let facts =
                workspace.registry.kind(system.kind)?.planning(of: workspace.connection(of: system.id)?.settings, window: system.limits.window)
                ?? PlanningFacts()
            return plan(system, writers: writers, readers: readers, facts: facts)
        }
    }

    static func plan(_ system: SystemDefinition, writers: [Integration], readers: [Integration] = [], facts: PlanningFacts) -> SystemPlan {
        var assumptions: [String] = []
        let users = facts.users
        let limits = system.limits
        let windowSeconds = Double(limits.window.milliseconds) / 1000
        let perRecord = limits.timePerRecord.map { Double($0.milliseconds) / 1000 }
        // Each writer's day and peak window: a burst is never more than the whole day.
        struct Writer {
            var id: String
            var perDay: Double
            var peakPerSecond: Double
            var peakRecordsPerWindow: Double
            var payload: Double
            /// For a batch: runs a month (0: once) and the records of a run; nil: every day.
            var runsPerMonth: Double? = nil
            var total: Double = 0
            /// The identity it writes as, when declared and one of the connection's.
            var identity: String? = nil
        }
        // An identity an integration declares (and the connection has) is counted apart.
        func identity(_ integration: Integration) -> String? {
            integration.target.settings.identity.flatMap { facts.userIDs.contains($0) ? $0 : nil }
        }
        let written = writers.map { integration -> Writer in
            if integration.pattern == .batch, let volumes = integration.volumes, let total = volumes.total {
                // A bulk load spread evenly over its window; a window of more than a day puts its
                // share on each day it runs.
                let window = max(1, Double((volumes.window ?? .seconds(86_400)).milliseconds) / 1000)
                let days = max(1, window / 86_400)
                let perDay = Double(total) / days
                let perSecond = Double(total) / window
                assumptions.append(
                    "\(integration.id) is a batch of \(number(Double(total))) records \(volumes.runs == .once ? "run once" : "run \(volumes.runs.rawValue)"), spread over \(format(window / 3_600)) h: \(number(perDay)) a day on the days it runs"
                        + (volumes.runs == .once ? "; its cost is one-off, not monthly." : "."))
                return Writer(
                    id: integration.id, perDay: perDay, peakPerSecond: perSecond, peakRecordsPerWindow: min(perSecond * windowSeconds, perDay),
                    payload: Double(volumes.payloadBytes ?? 0), runsPerMonth: volumes.runs.perMonth, total: Double(total),
                    identity: identity(integration))
            }
            let perDay = Double(integration.volumes?.perDay ?? 0)
            if integration.volumes?.perDay == nil { assumptions.append("\(integration.id) declares no volumes.per_day; counted as 0.") }
            var peakPerSecond = perDay / 86_400
            if let peak = integration.volumes?.peakPerMinute {
                peakPerSecond = Double(peak) / 60
            } else if perDay > 0 {
                assumptions.append("\(integration.id) declares no volumes.peak_per_minute; its day is assumed even.")
            }
            var window = peakPerSecond * windowSeconds
            if integration.volumes?.perDay != nil, window > perDay {
                window = perDay
                assumptions.append(
                    "\(integration.id)'s peak of \(number(peakPerSecond * 60))/min would send more than its day (\(number(perDay))) in one \(format(windowSeconds)) s window; counted as its day."
                )
            }
            return Writer(
                id: integration.id, perDay: perDay, peakPerSecond: peakPerSecond, peakRecordsPerWindow: window,
                payload: Double(integration.volumes?.payloadBytes ?? 0), identity: identity(integration))
        }
        // Each change feed polled from the system: one request per poll, day and night.
        let polls = readers.compactMap { integration -> (id: String, perWindow: Double, perDay: Double)? in
            guard let poll = integration.source.poll else { return nil }
            let seconds = max(0.001, Double(poll.settings.interval.milliseconds) / 1000)
            return (integration.id, windowSeconds / seconds, 86_400 / seconds)
        }
        // With identities declared, the per-identity limits are counted for each identity apart
        // (the undeclared spread evenly over all), and the busiest one is planned.
        let perIdentity = facts.limitsPerUser && facts.userIDs.count > 1 && written.contains { $0.identity != nil }
        let recordsPerDay = written.map(\.perDay).reduce(0, +)
        let peakPerSecond = written.map(\.peakPerSecond).reduce(0, +)
        let defaults = facts.documented ?? SystemLimits()
        func source(_ field: String, isDefault: Bool) -> String {
            facts.documented != nil && isDefault
                ? "\(facts.documentedSource), × \(users) user(s)" : "systems[].limits.\(field)" + (users > 1 ? ", × \(users) user(s)" : "")
        }
        let operations = facts.entitlementCountsOperations
        let requestsName = "requests per \(format(windowSeconds)) s"
        let executionName = "execution time per \(format(windowSeconds)) s"
        let entitlementName = operations ? "operations per 24 h (entitlement)" : "requests per 24 h (entitlement)"

        /// Every limit's use for a batch size and a volume factor; per integration when `only` is given.
        func uses(batch: Double, factor: Double, only: String? = nil) -> [LimitUse] {
            let ws = written.filter { only == nil || $0.id == only }
            let ps = polls.filter { only == nil || $0.id == only }
            let recordsWindow = ws.map(\.peakRecordsPerWindow).reduce(0, +) * factor
            let requestsWindow = (recordsWindow / batch) + ps.map(\.perWindow).reduce(0, +)
            let perSecond = ws.map(\.peakPerSecond).reduce(0, +) * factor
            let day = ws.map(\.perDay).reduce(0, +) * factor
            let dayRequests = (day / batch).rounded(.up) + ps.map(\.perDay).reduce(0, +)
            // The per-identity limits' use and allowance: all identities together, or the busiest
            // one when integrations declare whom they write as.
            var share = (records: recordsWindow, requests: requestsWindow, perSecond: perSecond, identities: Double(users), note: "")
            if perIdentity {
                let count = Double(facts.userIDs.count)
                let busiest = facts.userIDs.map { id -> (String, Double, Double, Double) in
                    let mine = ws.filter { $0.identity == id }, spread = ws.filter { $0.identity == nil }
                    let records = (mine.map(\.peakRecordsPerWindow).reduce(0, +) + spread.map(\.peakRecordsPerWindow).reduce(0, +) / count) * factor
                    let second = (mine.map(\.peakPerSecond).reduce(0, +) + spread.map(\.peakPerSecond).reduce(0, +) / count) * factor
                    return (id, records, records / batch + ps.map(\.perWindow).reduce(0, +) / count, second)
                }.max { $0.2 < $1.2 }
                if let busiest {
                    share = (busiest.1, busiest.2, busiest.3, 1, "; per application user, the busiest being \(busiest.0)")
                }
            }
            var found: [LimitUse] = []
            if let maximum = limits.maxRequests {
                found.append(
                    LimitUse(
                        name: requestsName, used: share.requests, allowed: Double(maximum) * share.identities,
                        source: source("max_requests", isDefault: maximum == defaults.maxRequests) + share.note))
            }
            if let perRecord {
                if let maximum = limits.maxExecution {
                    found.append(
                        LimitUse(
                            name: executionName, used: min(share.records, day) * perRecord,
                            allowed: Double(maximum.milliseconds) / 1000 * share.identities,
                            source: source("max_execution_time", isDefault: maximum == defaults.maxExecution) + share.note))
                }
                if let maximum = limits.maxConcurrent {
                    found.append(
                        LimitUse(
                            name: "requests in flight", used: share.perSecond * perRecord, allowed: Double(maximum) * share.identities,
                            source: source("max_concurrent", isDefault: maximum == defaults.maxConcurrent) + share.note))
                }
            }
            if let entitlement = limits.requestsPerDay {
                // Reads count too: each poll is a request, and an operation of its own.
                found.append(
                    LimitUse(
                        name: entitlementName, used: operations ? day + ps.map(\.perDay).reduce(0, +) : dayRequests,
                        allowed: Double(entitlement),
                        source: facts.documented != nil && entitlement == defaults.requestsPerDay
                            ? facts.entitlementSource : "systems[].limits.requests_per_day"))
            }
            return found
        }
        if perRecord == nil, limits.maxExecution != nil || limits.maxConcurrent != nil {
            assumptions.append(
                "No limits.time_per_record: execution time and concurrency are not planned; measure a write (the emulator's --latency helps) and set it."
            )
        }
        let batch = Double(facts.batchSize)
        let today = uses(batch: batch, factor: 1)
        let loads =
            written.map { writer in
                IntegrationLoad(
                    integration: writer.id, reads: false, recordsPerDay: writer.perDay, peakRequestsPerWindow: writer.peakRecordsPerWindow / batch,
                    executionSeconds: perRecord.map { $0 * writer.peakRecordsPerWindow },
                    entitlementPerDay: operations ? writer.perDay : (writer.perDay / batch).rounded(.up),
                    shares: Dictionary(uses(batch: batch, factor: 1, only: writer.id).map { ($0.name, $0.share) }) { a, _ in a })
            }
            + polls.map { poll in
                IntegrationLoad(
                    integration: poll.id, reads: true, recordsPerDay: 0, peakRequestsPerWindow: poll.perWindow, executionSeconds: nil,
                    entitlementPerDay: poll.perDay,
                    shares: Dictionary(uses(batch: batch, factor: 1, only: poll.id).map { ($0.name, $0.share) }) { a, _ in a })
            }

        // The smallest batch with which every limit fits; only the requests depend on it.
        var fittingBatch: Int?, noFit: String?, neededUsers: Int?, neededConcurrency: Int?
        if !today.isEmpty, !written.isEmpty {
            let largest = facts.batchSize > 1 || facts.limitsPerUser ? largestBatch : max(1, facts.batchSize)
            var size = 1
            while size <= largest {
                if uses(batch: Double(size), factor: 1).allSatisfy({ $0.share < threshold }) {
                    fittingBatch = size
                    break
                }
                size = size < 10 ? size + 1 : size < 100 ? size + 10 : size + 100
            }
            if fittingBatch == nil {
                let binding = uses(batch: Double(largest), factor: 1).filter { $0.share >= threshold }.sorted { $0.share > $1.share }
                noFit = binding.map { use in
                    var sentence = "\(use.name) is at \(percent(use.share)) whatever the batch size"
                    if use.name == entitlementName {
                        let days = whole(use.share / threshold)
                        sentence +=
                            "; spread the load over \(days) days (a batch's volumes.window), or raise the entitlement (a licence or capacity add-on): it is counted for the tenant's pool, so more application users do not help"
                    } else if use.name == executionName || use.name == "requests in flight" {
                        sentence +=
                            facts.limitsPerUser
                            ? "; more application users help (each has its own), or a longer window for the peak" : "; spread the peak"
                    } else if use.name == requestsName, facts.limitsPerUser {
                        sentence += "; more application users help"
                    }
                    return sentence
                }.joined(separator: "; ")
                if noFit?.isEmpty ?? true { noFit = nil }
            }
        }
        if let maximum = limits.maxRequests, facts.limitsPerUser, !written.isEmpty {
            neededUsers = max(1, whole((today.first { $0.name == requestsName }?.used ?? 0) / (Double(maximum) * threshold)))
        }
        if let perRecord, !written.isEmpty {
            neededConcurrency = max(1, whole(peakPerSecond * perRecord))
            if facts.limitsPerUser, let execution = limits.maxExecution {
                let window = written.map(\.peakRecordsPerWindow).reduce(0, +)
                let byTime = whole(window * perRecord / max(0.001, Double(execution.milliseconds) / 1000 * threshold))
                neededUsers = max(neededUsers ?? 1, byTime)
            }
        }
        let pollRequestsPerDay = polls.map(\.perDay).reduce(0, +)
        /// Each integration's own records, requests and payload, scaled.
        func cost(_ factor: Double) -> Double? {
            guard let model = system.cost else { return nil }
            var total = model.fixed + model.perNode * Double(model.nodes) + pollRequestsPerDay * 30 * model.perRequest
            for writer in written {
                // A day's records, 30 days a month; a batch's records as often as it runs.
                let month = writer.runsPerMonth.map { writer.total * $0 } ?? writer.perDay * 30
                let records = month * factor
                total += (records / batch).rounded(.up) * model.perRequest + records * model.perRecord
                total += records * writer.payload / 1e9 * model.perGBStored
            }
            return total
        }
        /// What the one-off loads cost once, at today's volumes.
        func oneOff() -> Double? {
            guard let model = system.cost else { return nil }
            let loads = written.filter { $0.runsPerMonth == 0 }
            guard !loads.isEmpty else { return nil }
            return loads.map { load in
                (load.total / batch).rounded(.up) * model.perRequest + load.total * model.perRecord + load.total * load.payload / 1e9
                    * model.perGBStored
            }.reduce(0, +)
        }
        let growth = [2, 5, 10].map { factor -> (Int, String?, Double, Double?) in
            let scaled = uses(batch: batch, factor: Double(factor))
            let first = scaled.filter { $0.share >= 1 }.max { $0.share < $1.share }?.name
            return (factor, first, scaled.map(\.share).max() ?? 0, cost(Double(factor)))
        }
        let requestsPerDay = (recordsPerDay / batch).rounded(.up) + pollRequestsPerDay
        return SystemPlan(
            system: system.id, integrations: writers.map(\.id), recordsPerDay: recordsPerDay, requestsPerDay: requestsPerDay,
            peakRecordsPerSecond: peakPerSecond,
            peakRequestsPerWindow: today.first { $0.name == requestsName }?.used
                ?? (written.map(\.peakRecordsPerWindow).reduce(0, +) / batch + polls.map(\.perWindow).reduce(0, +)),
            window: limits.window, limits: today, limitsKnown: !today.isEmpty, loads: loads, users: users, batchSize: facts.batchSize,
            fittingBatchSize: fittingBatch, noFit: noFit, neededConcurrency: neededConcurrency, neededUsers: neededUsers,
            monthlyCost: cost(1), oneOffCost: oneOff(), currency: system.cost?.currency, growth: growth, assumptions: assumptions)
    }

    static func number(_ value: Double) -> String { PlanOutput.number(value) }
    static func percent(_ share: Double) -> String { PlanOutput.percent(share) }

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
