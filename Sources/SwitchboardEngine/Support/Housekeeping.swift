import Logging
import ServiceLifecycle

/// Periodic chores of a running hub: refreshes the queue-depth, stored-messages, health and
/// connection gauges, tidies the store's hot tables every `sampleInterval` (`MessageStore.tidy`),
/// and prunes what the retention setting no longer keeps (audit records, finished messages,
/// expired idempotency keys).
public final class Housekeeping: Service, Sendable {
    private let store: any MessageStore
    private let metrics: HubMetrics
    private let clock: any WallClock
    private let retentionMillis: Int64
    private let integrations: [String]
    private let logger: Logger
    /// How often gauges are refreshed. Default 5 s.
    public let sampleInterval: Duration
    /// How often pruning runs. Default 10 min.
    public let pruneInterval: Duration
    /// Pruning is one node's duty (`housekeeping`); sampling is every node's.
    private let duties: DutyGate
    /// Each integration's health now, from the store's counts read for the other gauges, for
    /// `switchboard_integration_health`.
    private let assess: @Sendable ([StateCount]) async throws -> [String: IntegrationHealth]
    /// What the sources and targets have shown, for `switchboard_source_up` and `switchboard_target_up`.
    private let board: HealthBoard
    /// Each integration's target system.
    private let targets: [String: String]
    /// Each system's budget and the size of its connector's connection pool, for the connection gauges.
    private let pools: [String: (budget: SystemBudget, size: Int)]

    public init(
        store: any MessageStore, metrics: HubMetrics, clock: any WallClock, retention: Duration, integrations: [String], logger: Logger,
        sampleInterval: Duration = .seconds(5), pruneInterval: Duration = .seconds(600),
        board: HealthBoard = HealthBoard(), targets: [String: String] = [:], pools: [String: (budget: SystemBudget, size: Int)] = [:],
        duties: DutyGate? = nil,
        assess: @escaping @Sendable ([StateCount]) async throws -> [String: IntegrationHealth] = { _ in [:] }
    ) {
        self.duties = duties ?? .local(clock: clock)
        self.assess = assess
        self.board = board
        self.targets = targets
        self.pools = pools
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.retentionMillis = retention.milliseconds
        self.integrations = integrations
        self.logger = logger
        self.sampleInterval = sampleInterval
        self.pruneInterval = pruneInterval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var nextPrune = self.clock.now()
            while !Task.isCancelled {
                await self.sample()
                let now = self.clock.now()
                let holds = await self.duties.holds("housekeeping", ttl: self.sampleInterval * 3)
                if holds {
                    do { try await self.store.tidy() } catch { self.logger.warning("tidying the store failed", metadata: ["sb.error": "\(error)"]) }
                }
                if now >= nextPrune, holds {
                    do {
                        try await self.prune(now: now)
                    } catch is CancellationError {
                        return
                    } catch {
                        self.logger.error("pruning failed", metadata: ["sb.error": "\(error)"])
                    }
                    nextPrune = now + self.pruneInterval.milliseconds
                }
                do { try await self.clock.sleep(until: self.clock.now() + self.sampleInterval.milliseconds) } catch { return }
            }
        }
    }

    /// Rows one prune transaction deletes at most, per kind. Default 2,000: a few milliseconds
    /// of the store's write lock (docs/performance.md).
    public static let pruneBatch = 2_000
    /// Rows pruned in one run after which the store gives the space back. Default 20,000.
    public static let reclaimAfter = 20_000

    /// Prunes what retention no longer keeps, batch after batch with the store's writers let in
    /// between, then gives the space back after a large prune.
    func prune(now: Int64) async throws {
        var total = 0
        while true {
            let removed = try await store.prune(before: now - retentionMillis, now: now, limit: Self.pruneBatch)
            total += removed
            if removed == 0 { break }
            await Task.yield()
        }
        if total >= Self.reclaimAfter { try await store.reclaimSpace() }
        if total > 0 { logger.info("pruned records past retention", metadata: ["sb.count": "\(total)"]) }
    }

    func sample() async {
        for integration in integrations { metrics.setSourceUp(integration, !board.source(integration).isFailing) }
        for system in Set(targets.values) { metrics.setTargetUp(system, !board.target(system).isFailing) }
        for (system, pool) in pools {
            metrics.setConnections(system, inUse: await pool.budget.permitsInUse, allowed: await pool.budget.concurrencyLimit, poolSize: pool.size)
        }
        guard let counts = try? await store.counts() else { return }
        if let health = try? await assess(counts) {
            for (integration, found) in health { metrics.setHealth(integration, found) }
        }
        for integration in integrations {
            let waiting = counts.filter { $0.integration == integration && [.ready, .leased, .retryWait].contains($0.state) }.reduce(0) {
                $0 + $1.count
            }
            metrics.setQueueDepth(integration, waiting)
            for state in MessageState.allCases {
                let count = counts.filter { $0.integration == integration && $0.state == state }.reduce(0) { $0 + $1.count }
                metrics.setStoredMessages(integration, state: state.description, count)
            }
        }
    }
}
