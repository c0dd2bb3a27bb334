import SwitchboardModel
import Synchronization

/// The traffic budget of one target system, shared by every integration and worker that writes to it.
///
/// Guarantees: never more than `maxConcurrent` permits out at once (with adaptive concurrency,
/// never more than the current adaptive limit, which stays between 1 and `maxConcurrent`); never more than `maxRequests`
/// permits granted in any sliding `window`; with `maxExecution`, no permit granted while the time
/// taken by requests that ended inside the window, plus the expected time of those in flight,
/// has reached it (a finished request counts from its start, as the target counts it); no permit granted before a pause (from `Retry-After`) ends. A window counts
/// `margin` longer than the target's, since the hub's clock and the target's see a request at
/// slightly different moments. Waiters are woken by releases and by the clock; state is re-checked after every wait,
/// because another waiter may have taken the slot (actor reentrancy).
///
/// A budget shared with other nodes (`shared: true`, kept by a `BudgetShareKeeper`) grants only
/// within this node's share of each limit, and nothing before its first share or after its share's
/// lease ended without renewal: the nodes' shares never add up to more than the limits.
public actor SystemBudget {
    public nonisolated let systemID: String
    public nonisolated let limits: SystemLimits
    private let clock: any WallClock
    private var inFlight = 0
    /// Grant times inside the current window, oldest first.
    private var recentGrants: [Int64] = []
    private var grantsHead = 0
    /// Callers waiting for a release, oldest first, each with its id (so a cancelled one can leave).
    private var releaseWaiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextWaiter: UInt64 = 0
    /// Epoch ms until which no permit is granted; 0 when not paused. Atomic, so a caller can read
    /// it without a hop onto the actor.
    private let pause = Atomic<Int64>(0)
    /// The adaptive concurrency limit; nil when concurrency is fixed.
    private var adaptiveLimit: Double?
    /// Whether the target's own hint has set the adaptive limit yet.
    private var hinted = false
    /// Start time and duration (ms) of each finished request inside the window, oldest first.
    private var executions: [(start: Int64, millis: Int64)] = []
    private var executionsHead = 0
    private var executionMillis: Int64 = 0
    /// A request's expected duration (ms): a moving average of recent ones.
    private var expectedMillis: Double = 0
    /// The target's count of execution time over the hub's (at most 1), from `executionRemaining`.
    private var executionScale: Double = 1
    private let margin: Int64
    /// This node's part of each limit, when the budget is shared with other nodes; nil when the
    /// whole budget is this node's.
    private var share: BudgetUse?
    /// Epoch ms (this node's clock) until which `share` holds; past it, nothing is granted.
    private var shareUntil: Int64 = 0
    /// Callers inside `acquire`, not yet granted: what this node would use beyond what it uses.
    private var waiting = 0
    /// Told when a caller waits for want of share, so the keeper asks for more at once.
    private var onStarved: (@Sendable () -> Void)?

    /// Epoch ms until which no permit is granted. 0 when not paused.
    public nonisolated var pausedUntil: Int64 { pause.load(ordering: .relaxed) }

    /// Epoch ms until which each identity the system is reached as (a Dataverse application
    /// user, by its client id) was told to wait. The connector skips a paused identity; a shared
    /// budget's keeper carries these pauses between nodes, as it does the system's.
    private let lanePauses = Mutex<[String: Int64]>([:])

    /// Pauses one identity until `deadline` (epoch ms); a later deadline extends it, an earlier one is ignored.
    public nonisolated func pause(lane: String, until deadline: Int64) {
        lanePauses.withLock { $0[lane] = max($0[lane] ?? 0, deadline) }
    }

    /// Epoch ms until which `lane` is paused; 0 when it is not.
    public nonisolated func pausedUntil(lane: String) -> Int64 { lanePauses.withLock { $0[lane] ?? 0 } }

    /// Pauses one identity for `duration` from now, by the budget's clock.
    public nonisolated func pause(lane: String, for duration: Duration) {
        pause(lane: lane, until: clock.now() + duration.milliseconds)
    }

    /// How long `lane` stays paused from now; nil when it is not paused.
    public nonisolated func remainingPause(lane: String) -> Duration? {
        let remaining = pausedUntil(lane: lane) - clock.now()
        return remaining > 0 ? .milliseconds(remaining) : nil
    }

    /// The identities paused at `now`, each with how long it stays so (ms); ended pauses are dropped.
    public nonisolated func lanePausesRemaining(now: Int64) -> [String: Int64] {
        lanePauses.withLock { pauses in
            pauses = pauses.filter { $0.value > now }
            return pauses.mapValues { $0 - now }
        }
    }

    /// True when the limits set neither a concurrency nor a rate: then a permit only has to wait
    /// for a pause, and callers may skip `acquire` and `release` while `pausedUntil` has passed.
    public nonisolated var isUnlimited: Bool { limits.maxConcurrent == nil && limits.maxRequests == nil && limits.maxExecution == nil }

    /// - Parameters:
    ///   - margin: Added to the window when the budget decides; default none.
    ///   - shared: True when other nodes send to the same system: the budget grants nothing until
    ///     `raise(to:until:)` gives it a share. Default false.
    public init(systemID: String, limits: SystemLimits, clock: any WallClock, margin: Duration = .zero, shared: Bool = false) {
        self.systemID = systemID
        self.limits = limits
        self.clock = clock
        self.margin = margin.milliseconds
        self.adaptiveLimit = limits.adaptiveStart.map(Double.init)
        if shared { share = .zero }
    }

    /// The window the budget counts in, margin included (ms).
    public nonisolated var windowMillis: Int64 { limits.window.milliseconds + margin }

    /// What an answer says about the target's capacity, for adaptive concurrency.
    public enum Signal: Sendable, Hashable {
        /// Answered without throttling: grow by one permit per round of clean answers.
        case clean
        /// Throttled (`429`): halve.
        case throttled
        /// The target's recommended parallelism (`x-ms-dop-hint`): the first one sets the limit.
        case hint(Int)
        /// The execution time one of `users` users has left in the target's window, as the target
        /// counts it (Dataverse's `x-ms-ratelimit-time-remaining-xrm-requests`). The hub measures
        /// a request from its side of the network, so it counts more than the target; this
        /// corrects its count towards the target's, never below it.
        case executionRemaining(millis: Int64, users: Int)
    }

    /// Runs one request under the budget: waits for a permit, counts the request's execution time
    /// from its start, and records what the answer says (a `429` halves adaptive concurrency, a
    /// `2xx` grows it) along with the connector's own `signals` (the target's hint, the time it
    /// says is left). A connector calls it around every request it sends, whatever the request
    /// carries, so the budget counts requests as the target counts them. With no limits and no
    /// pause the request runs at once, without a hop onto the actor.
    ///
    /// - Throws: `CancellationError` when cancelled while waiting; the request was not sent.
    public nonisolated func metered(_ request: () async -> (outcome: TransportOutcome, signals: [Signal])) async throws -> TransportOutcome {
        if isUnlimited && pausedUntil <= clock.now() { return await request().outcome }
        try await acquire()
        let started = clock.now()
        let (outcome, signals) = await request()
        await finish(executionMillis: clock.now() - started, outcome: outcome, signals: signals)
        return outcome
    }

    private func finish(executionMillis: Int64, outcome: TransportOutcome, signals: [Signal]) {
        release(executionMillis: executionMillis)
        for signal in signals { record(signal) }
        switch outcome {
        case .response(let status, _, _) where (200..<300).contains(status): record(.clean)
        case .response(429, _, _), .transient(429, _, _): record(.throttled)
        default: break
        }
    }

    /// Adapts the concurrency limit; does nothing when concurrency is fixed.
    public func record(_ signal: Signal) {
        if case .executionRemaining(let remaining, let users) = signal {
            guard let maximum = limits.maxExecution?.milliseconds, executionMillis > 0 else { return }
            let targetUsed = Double(maximum - remaining * Int64(max(1, users)))
            let ratio = min(1, max(0.5, targetUsed / Double(executionMillis)))
            executionScale = executionScale * 0.8 + ratio * 0.2
            return
        }
        guard let current = adaptiveLimit, let maximum = limits.maxConcurrent else { return }
        let updated: Double =
            switch signal {
            case .clean: min(Double(maximum), current + 1 / current)
            case .throttled: max(1, current / 2)
            case .hint(let hint): hinted ? current : min(Double(maximum), Double(max(1, hint)))
            case .executionRemaining: current
            }
        if case .hint = signal { hinted = true }
        adaptiveLimit = updated
        // A higher limit may let waiters through.
        var free = concurrencyLimit.map { $0 - inFlight } ?? 0
        while free > 0, !releaseWaiters.isEmpty {
            releaseWaiters.removeFirst().continuation.resume()
            free -= 1
        }
    }

    /// Permits allowed out at once now: the adaptive limit, or `maxConcurrent`, within this node's share.
    public var concurrencyLimit: Int? {
        let own = adaptiveLimit.map { Int($0.rounded(.down)) } ?? limits.maxConcurrent
        guard let own, let share else { return own }
        return min(own, share.concurrency)
    }

    /// Waits for a permit. Call `release()` once for every permit, whatever the outcome.
    public func acquire() async throws {
        waiting += 1
        defer { waiting -= 1 }
        while true {
            if Task.isCancelled {
                // Pass a wake-up on, so a cancelled waiter never swallows the release meant for another.
                if !releaseWaiters.isEmpty { releaseWaiters.removeFirst().continuation.resume() }
                throw CancellationError()
            }
            let now = clock.now()
            if pausedUntil > now {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            if share != nil, now >= shareUntil {
                // No share yet, or its lease ended unrenewed: wait for the keeper.
                onStarved?()
                try await clock.sleep(until: now + 50)
                continue
            }
            if let maximum = concurrencyLimit, inFlight >= maximum {
                if let share, share.concurrency <= inFlight { onStarved?() }
                await waitForRelease()
                continue
            }
            let windowMillis = windowMillis
            if let whole = limits.maxExecution?.milliseconds {
                let maximum = min(whole, share?.executionMillis ?? whole)
                pruneExecutions(now: now)
                let idle = inFlight == 0 && executionsHead == executions.count
                if maximum <= 0 || (!idle && executionScale * (Double(executionMillis) + Double(inFlight + 1) * expectedMillis) > Double(maximum)) {
                    if maximum < whole { onStarved?() }
                    if executionsHead < executions.count {
                        try await clock.sleep(until: executions[executionsHead].start + windowMillis)
                    } else if inFlight > 0 {
                        // All the time is in flight: the next release frees some.
                        await waitForRelease()
                    } else {
                        try await clock.sleep(until: now + 50)
                    }
                    continue
                }
            }
            if let whole = limits.maxRequests {
                let maximum = min(whole, share?.requests ?? whole)
                pruneGrants(now: now)
                if recentGrants.count - grantsHead >= maximum {
                    if maximum < whole { onStarved?() }
                    try await clock.sleep(until: grantsHead < recentGrants.count ? recentGrants[grantsHead] + windowMillis : now + 50)
                    continue
                }
                recentGrants.append(now)
            }
            inFlight += 1
            return
        }
    }

    /// Waits for a release, a raised share or a higher adaptive limit; returns at once when the
    /// caller's task is cancelled (a delivery cancelled at the end of a shutdown's grace, a node
    /// stopping), so no cancelled caller waits for a release that may never come.
    private func waitForRelease() async {
        let id = nextWaiter
        nextWaiter &+= 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    releaseWaiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.leave(id) }
        }
    }

    /// A cancelled waiter leaves the queue.
    private func leave(_ id: UInt64) {
        guard let index = releaseWaiters.firstIndex(where: { $0.id == id }) else { return }
        releaseWaiters.remove(at: index).continuation.resume()
    }

    private func pruneGrants(now: Int64) {
        while grantsHead < recentGrants.count, recentGrants[grantsHead] <= now - windowMillis { grantsHead += 1 }
        if grantsHead > 1024 { recentGrants.removeFirst(grantsHead); grantsHead = 0 }
    }

    private func pruneExecutions(now: Int64) {
        while executionsHead < executions.count, executions[executionsHead].start <= now - windowMillis {
            executionMillis -= executions[executionsHead].millis
            executionsHead += 1
        }
        if executionsHead > 1024 { executions.removeFirst(executionsHead); executionsHead = 0 }
    }

    /// Returns a permit. `executionMillis`: how long the request took, counted against
    /// `maxExecution` for a window from now.
    public func release(executionMillis: Int64? = nil) {
        inFlight -= 1
        if let executionMillis, limits.maxExecution != nil {
            // Counted from when the request started, as the target counts it; kept in start order.
            let entry = (start: clock.now() - executionMillis, millis: executionMillis)
            var index = executions.count
            while index > executionsHead, executions[index - 1].start > entry.start { index -= 1 }
            executions.insert(entry, at: index)
            self.executionMillis += executionMillis
            expectedMillis = expectedMillis == 0 ? Double(executionMillis) : expectedMillis * 0.9 + Double(executionMillis) * 0.1
        }
        if !releaseWaiters.isEmpty { releaseWaiters.removeFirst().continuation.resume() }
    }

    /// Stops granting permits until `deadline` (epoch ms); a later deadline extends the pause, an earlier one is ignored.
    public func pause(until deadline: Int64) {
        pause.store(max(pause.load(ordering: .relaxed), deadline), ordering: .relaxed)
    }

    /// Permits currently out.
    public var permitsInUse: Int { inFlight }

    // MARK: Sharing with other nodes

    /// What this node uses of each limit now: requests in flight, granted inside the window, and
    /// execution time counted inside the window plus the expected time of those in flight.
    public func used() -> BudgetUse {
        let now = clock.now()
        pruneGrants(now: now)
        pruneExecutions(now: now)
        return BudgetUse(
            concurrency: inFlight, requests: recentGrants.count - grantsHead,
            executionMillis: executionMillis + Int64(Double(inFlight) * expectedMillis))
    }

    /// What this node would use if nothing held it back: what it uses, or, while callers wait,
    /// everything (it would take whatever it got: a split by demand then gives every waiting
    /// node an even part, and a node that waits for nothing what it uses).
    public func demand() -> BudgetUse { usage().demand }

    /// `used()` and `demand()` together, from one reading.
    public func usage() -> (used: BudgetUse, demand: BudgetUse) {
        let used = used()
        guard waiting == 0 else {
            return (used, BudgetUse(concurrency: Int(Int32.max), requests: Int(Int32.max), executionMillis: Int64(Int32.max)))
        }
        return (used, used)
    }

    /// Lowers this node's share to `grant` where it is lower, at once, and returns what the node
    /// holds from now on: the larger of `grant` and what it already uses (a request in flight or
    /// granted inside the window counts until it ends or leaves the window). A keeper reports that
    /// figure before other nodes may take the rest, and raises the share after it did.
    public func lower(to grant: BudgetUse) -> BudgetUse {
        if let current = share {
            share = BudgetUse(
                concurrency: min(current.concurrency, grant.concurrency), requests: min(current.requests, grant.requests),
                executionMillis: min(current.executionMillis, grant.executionMillis))
        }
        let used = used()
        return BudgetUse(
            concurrency: max(grant.concurrency, used.concurrency), requests: max(grant.requests, used.requests),
            executionMillis: max(grant.executionMillis, used.executionMillis))
    }

    /// Sets this node's share to `grant` until `until` (epoch ms, this node's clock), and wakes
    /// the waiters. Does nothing to a budget that is not shared.
    public func raise(to grant: BudgetUse, until: Int64) {
        guard share != nil else { return }
        share = grant
        shareUntil = until
        let waiters = releaseWaiters
        releaseWaiters.removeAll()
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// This node's share now; nil when the budget is not shared.
    public var currentShare: BudgetUse? { share }

    /// Who to tell when a caller waits for want of share (the keeper, which then renews at once).
    public func whenStarved(_ action: @escaping @Sendable () -> Void) { onStarved = action }
}

/// An amount of each of a system's limits: requests in flight at once, requests inside the window,
/// execution time inside the window (ms). A node's share of a budget, what it uses, or what it wants.
public struct BudgetUse: Sendable, Hashable {
    public var concurrency: Int
    public var requests: Int
    public var executionMillis: Int64

    public init(concurrency: Int, requests: Int, executionMillis: Int64) {
        self.concurrency = concurrency
        self.requests = requests
        self.executionMillis = executionMillis
    }

    public static let zero = BudgetUse(concurrency: 0, requests: 0, executionMillis: 0)
}
