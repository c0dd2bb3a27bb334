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
public actor SystemBudget {
    public nonisolated let systemID: String
    public nonisolated let limits: SystemLimits
    private let clock: any WallClock
    private var inFlight = 0
    /// Grant times inside the current window, oldest first.
    private var recentGrants: [Int64] = []
    private var grantsHead = 0
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []
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

    /// Epoch ms until which no permit is granted. 0 when not paused.
    public nonisolated var pausedUntil: Int64 { pause.load(ordering: .relaxed) }

    /// True when the limits set neither a concurrency nor a rate: then a permit only has to wait
    /// for a pause, and callers may skip `acquire` and `release` while `pausedUntil` has passed.
    public nonisolated var isUnlimited: Bool { limits.maxConcurrent == nil && limits.maxRequests == nil && limits.maxExecution == nil }

    /// - Parameter margin: Added to the window when the budget decides; default none.
    public init(systemID: String, limits: SystemLimits, clock: any WallClock, margin: Duration = .zero) {
        self.systemID = systemID
        self.limits = limits
        self.clock = clock
        self.margin = margin.milliseconds
        self.adaptiveLimit = limits.adaptiveStart.map(Double.init)
    }

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
            releaseWaiters.removeFirst().resume()
            free -= 1
        }
    }

    /// Permits allowed out at once now: the adaptive limit, or `maxConcurrent`.
    public var concurrencyLimit: Int? {
        if let adaptiveLimit { return Int(adaptiveLimit.rounded(.down)) }
        return limits.maxConcurrent
    }

    /// Waits for a permit. Call `release()` once for every permit, whatever the outcome.
    public func acquire() async throws {
        while true {
            if Task.isCancelled {
                // Pass a wake-up on, so a cancelled waiter never swallows the release meant for another.
                if !releaseWaiters.isEmpty { releaseWaiters.removeFirst().resume() }
                throw CancellationError()
            }
            let now = clock.now()
            if pausedUntil > now {
                try await clock.sleep(until: pausedUntil)
                continue
            }
            if let maximum = concurrencyLimit, inFlight >= maximum {
                await withCheckedContinuation { releaseWaiters.append($0) }
                continue
            }
            let windowMillis = limits.window.milliseconds + margin
            if let maximum = limits.maxExecution?.milliseconds {
                while executionsHead < executions.count, executions[executionsHead].start <= now - windowMillis {
                    executionMillis -= executions[executionsHead].millis
                    executionsHead += 1
                }
                if executionsHead > 1024 { executions.removeFirst(executionsHead); executionsHead = 0 }
                let idle = inFlight == 0 && executionsHead == executions.count
                if !idle, executionScale * (Double(executionMillis) + Double(inFlight + 1) * expectedMillis) > Double(maximum) {
                    if executionsHead < executions.count {
                        try await clock.sleep(until: executions[executionsHead].start + windowMillis)
                    } else {
                        // All the time is in flight: the next release frees some.
                        await withCheckedContinuation { releaseWaiters.append($0) }
                    }
                    continue
                }
            }
            if let maximum = limits.maxRequests {
                while grantsHead < recentGrants.count, recentGrants[grantsHead] <= now - windowMillis { grantsHead += 1 }
                if grantsHead > 1024 { recentGrants.removeFirst(grantsHead); grantsHead = 0 }
                if recentGrants.count - grantsHead >= maximum {
                    try await clock.sleep(until: recentGrants[grantsHead] + windowMillis)
                    continue
                }
                recentGrants.append(now)
            }
            inFlight += 1
            return
        }
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
        if !releaseWaiters.isEmpty { releaseWaiters.removeFirst().resume() }
    }

    /// Stops granting permits until `deadline` (epoch ms); a later deadline extends the pause, an earlier one is ignored.
    public func pause(until deadline: Int64) {
        pause.store(max(pause.load(ordering: .relaxed), deadline), ordering: .relaxed)
    }

    /// Permits currently out.
    public var permitsInUse: Int { inFlight }
}
