import Logging
import ServiceLifecycle
import SwitchboardModel
import Synchronization

/// Keeps this node's shares of the target budgets it sends through, when other nodes send to the
/// same systems (`BudgetCoordination`): every `interval`, and at once when a caller waits for
/// want of share, it splits each limit fairly by the live holders' demand (`FairShare`), takes no
/// more than the limit minus what the others hold, lowers its budget before reporting a smaller
/// share and raises it only after the larger one is written. It also carries each system's pause
/// (`Retry-After`), and each of its identities' (a throttled Dataverse application user), from
/// the node that was told to every other.
///
/// Guarantees: the nodes' requests in flight to a system never add up to more than its
/// `maxConcurrent`, nor their requests inside its window to more than `maxRequests` (the
/// execution time likewise, as estimated); a share whose lease (`lease`, default 10 s) ended
/// without renewal grants nothing, so a node cut off from the store stops sending rather than
/// overspend. On a graceful stop the holder keeps only what it used inside the window, so the
/// others take the rest at once. Adaptive concurrency adapts within each node's share.
public final class BudgetShareKeeper: Service, Sendable {
    private let coordination: any BudgetCoordination
    private let budgets: [(budget: SystemBudget, holder: String)]
    private let node: String
    private let clock: any WallClock
    private let interval: Duration
    private let lease: Duration
    private let concurrencyGrace: Duration
    private let logger: Logger
    private let starved = Atomic<Bool>(false)

    /// - Parameters:
    ///   - budgets: The budgets to keep, each made with `shared: true`.
    ///   - runtime: Tells this runtime's holders from those of an earlier one of the same node
    ///     (a reload), whose rows count until they end.
    ///   - interval: Between renewals. Default 1 s: a node whose demand rises gets its share
    ///     within about two.
    ///   - lease: How long a share holds without renewal. Default 10 s.
    ///   - concurrencyGrace: How long after a lapsed lease the holder's requests in flight still
    ///     count (a node cut off from the store may still be waiting for answers). Default 5 s.
    ///     What it sent inside the window counts for the window.
    public init(
        coordination: any BudgetCoordination, budgets: [SystemBudget], node: String, runtime: String, clock: any WallClock,
        logger: Logger, interval: Duration = .seconds(1), lease: Duration = .seconds(10), concurrencyGrace: Duration = .seconds(5)
    ) {
        self.coordination = coordination
        self.budgets = budgets.map { ($0, "\(node)/\(runtime)") }
        self.node = node
        self.clock = clock
        self.interval = interval
        self.lease = lease
        self.concurrencyGrace = concurrencyGrace
        self.logger = logger
    }

    public func run() async throws {
        for (budget, _) in budgets {
            await budget.whenStarved { [self] in self.starved.store(true, ordering: .relaxed) }
        }
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                self.starved.store(false, ordering: .relaxed)
                var failed = false
                for (budget, holder) in self.budgets {
                    do {
                        try await self.renew(budget, holder: holder)
                    } catch {
                        failed = true
                        if !failing {
                            self.logger.warning(
                                "could not renew the budget share; it lapses at the end of its lease",
                                metadata: ["sb.system": "\(budget.systemID)", "sb.error": "\(error)"])
                        }
                    }
                }
                failing = failed
                // Until the interval ends, or sooner (not before 200 ms) when a caller waits for want of share.
                let started = self.clock.now()
                repeat {
                    do { try await self.clock.sleep(until: self.clock.now() + 50) } catch { return }
                } while self.clock.now() - started < self.interval.milliseconds
                    && !(self.starved.load(ordering: .relaxed) && self.clock.now() - started >= 200)
            }
        }
        // Keep only what was used inside the window; the others take the rest.
        for (budget, holder) in budgets {
            try? await renew(budget, holder: holder, leaving: true)
        }
    }

    /// One exchange for `budget`: the split, the write, then the raise.
    func renew(_ budget: SystemBudget, holder: String, leaving: Bool = false) async throws {
        let started = clock.now()
        let limits = budget.limits
        let granted = Mutex(BudgetUse.zero)
        // Read before the system's row is locked, so the lock is held for one hop onto the budget (the lowering), not two.
        let (used, demand) = leaving ? (BudgetUse.zero, BudgetUse.zero) : await budget.usage()
        let lease = lease
        let exchange = try await coordination.exchangeBudgetShare(
            system: budget.systemID, holder: holder, node: node, lease: leaving ? .zero : lease,
            grace: .milliseconds(budget.windowMillis), concurrencyGrace: concurrencyGrace,
            pauseRemaining: max(0, budget.pausedUntil - started), lanePausesRemaining: budget.lanePausesRemaining(now: started)
        ) { others in
            let grant =
                leaving
                ? BudgetUse.zero
                : Self.grant(
                    limits: limits, holder: holder, demand: demand, others: others, used: used, lease: lease)
            granted.withLock { $0 = grant }
            return (await budget.lower(to: grant), demand)
        }
        // The others count this share live until the database's time of the exchange plus the
        // lease, which is no earlier than `started`; a tenth of the lease is kept in hand for
        // the clocks' drift.
        if !leaving { await budget.raise(to: granted.withLock { $0 }, until: started + lease.milliseconds - lease.milliseconds / 10) }
        if exchange.pauseRemaining > 0 { await budget.pause(until: clock.now() + exchange.pauseRemaining) }
        for (lane, remaining) in exchange.lanePausesRemaining { budget.pause(lane: lane, until: clock.now() + remaining) }
    }

    /// This holder's share: its fair part of each limit among the live holders, but never more
    /// than the limit minus what every other holder still holds, and, of the requests and the
    /// execution time, never more than it has used inside the window plus three leases' worth of
    /// the limit's rate. A holder that dies counts with its share until the window ends (it may
    /// have used all of it before its lease lapsed); over a long window (Dataverse's 5 minutes
    /// against a 10 s lease) an unused share held that long would stop the other nodes.
    static func grant(
        limits: SystemLimits, holder: String, demand: BudgetUse, others: [BudgetShareRow], used: BudgetUse = .zero, lease: Duration = .seconds(10)
    ) -> BudgetUse {
        let window = max(1, limits.window.milliseconds)
        func allowance(_ limit: Int64?, _ amount: Int64) -> Int64 {
            guard let limit else { return 0 }
            return amount + max(1, Int64((Double(limit) * 3 * Double(lease.milliseconds) / Double(window)).rounded(.up)))
        }
        let live = (others.filter(\.live).map { ($0.holder, $0.demand) } + [(holder, demand)]).sorted { $0.0 < $1.0 }
        let index = live.firstIndex { $0.0 == holder } ?? 0
        func part(_ limit: Int64?, _ amount: (BudgetUse) -> Int64) -> Int64 {
            guard let limit else { return 0 }
            let fair = FairShare.split(limit, demands: live.map { amount($0.1) })[index]
            let held = others.map { amount($0.held) }.reduce(0, +)
            return max(0, min(fair, limit - held))
        }
        let requests = limits.maxRequests.map(Int64.init)
        let execution = limits.maxExecution?.milliseconds
        return BudgetUse(
            concurrency: Int(part(limits.maxConcurrent.map(Int64.init), { Int64($0.concurrency) })),
            requests: Int(min(part(requests, { Int64($0.requests) }), allowance(requests, Int64(used.requests)))),
            executionMillis: min(part(execution, \.executionMillis), allowance(execution, used.executionMillis)))
    }
}
