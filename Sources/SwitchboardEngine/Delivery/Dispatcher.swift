import Logging
import ServiceLifecycle
import SwitchboardModel
import Synchronization
import Tracing

/// Settings of the delivery loop.
public struct DispatcherConfiguration: Sendable {
    /// How often an idle dispatcher looks for due retries. Default 200 ms; new arrivals wake it at once.
    public var pollInterval: Duration = .milliseconds(200)
    /// How long a graceful shutdown lets in-flight deliveries finish before it cancels them. Default 10 s.
    public var shutdownGrace: Duration = .seconds(10)
    /// Added to an attempt's timeout to make its lease, covering waits for the target's budget. Default 60 s.
    public var leaseMargin: Duration = .seconds(60)
    /// This node's id in the store's leases. Default `local`.
    public var nodeID: String = "local"
    /// Which of the process's delivery loops this is: 0 for the one it started with, 1 and on
    /// for each reload's. Default 0. Each leases under its own name (`local`, `local#1`, ...), so
    /// a loop retiring after a reload gives back only its own leases; the first takes back, at
    /// start, what any loop of this node held when the process stopped.
    public var generation = 0
    /// The owner of this loop's leases: `nodeID`, with `#generation` after the first.
    public var leaseOwner: String { generation == 0 ? nodeID : "\(nodeID)#\(generation)" }
    /// Times the hub may stop while processing one message before it is dead as a poison
    /// message. Default 3.
    public var maxInterruptions: Int = MessageLifecycle.defaultMaxInterruptions
    /// The workspace revision whose routes this loop delivers, recorded with each attempt.
    /// Default none.
    public var revision: String?
    /// Which attempts keep the request they sent in the audit log. Default `.all`.
    public var recordRequests: RequestRecording = .all

    public init() {}
}

/// What a graceful shutdown of the delivery loop did, as `switchboard run` reports it.
public struct ShutdownReport: Sendable, Hashable, CustomStringConvertible {
    /// Deliveries under way when the shutdown began.
    public var inFlight: Int
    /// Of those, finished (delivered, failed or filtered, and recorded) within the grace.
    public var finished: Int
    /// Of those, still under way when the grace ended: cancelled, counted as an attempt, and released.
    public var interrupted: Int
    /// Leases given back unattempted at the end (claimed, not yet started).
    public var releasedUnattempted: Int
    /// From the shutdown's start to the delivery loop's end, in milliseconds.
    public var millis: Int64
    /// The grace it had.
    public var grace: Duration

    public var description: String {
        var parts = ["\(finished) of \(inFlight) deliver\(inFlight == 1 ? "y" : "ies") in flight finished"]
        if interrupted > 0 {
            parts.append("\(interrupted) interrupted when the \(grace.spoken) grace ended and released, each counted as an attempt")
        }
        if releasedUnattempted > 0 { parts.append("\(releasedUnattempted) given back unattempted") }
        return "delivery stopped in \(Duration.milliseconds(millis).spoken): " + parts.joined(separator: ", ")
    }
}

/// Claims ready messages and delivers them: steps, the target system's connector, classification,
/// lifecycle.
///
/// Guarantees: at-least-once delivery (a message is marked delivered only after its target answered
/// 2xx; a crash between the answer and the record sends it again); per-key order as the store's
/// `claim` keeps it; at most `delivery.concurrency` deliveries in flight per integration; the
/// target system's budget across integrations, counted per request by the connector
/// (`SystemBudget.metered`); no claims for a system paused by `Retry-After`. On graceful shutdown it stops claiming, lets
/// in-flight deliveries finish within `shutdownGrace`, records the ones still under way then as
/// interrupted attempts and releases them, and says what it did (`lastShutdown`). At start it
/// takes back the leases its node held when it stopped, each an interruption of its message; a
/// message interrupted more than `maxInterruptions` times is dead as a poison message, so a
/// message that crashes the hub cannot do it forever.
public final class Dispatcher: Service, Sendable {
    private let store: any MessageStore
    private let routes: [Route]
    /// By system id: each target system's connector, wrapped for batching when it asks.
    private let connectors: [String: any Connector]
    private let budgets: [String: SystemBudget]
    private let clock: any WallClock
    private let configuration: DispatcherConfiguration
    private let metrics: HubMetrics
    private let logger: Logger
    private let health: StoreHealth
    /// Told each attempt's answer, so the target's health is known.
    private let board: HealthBoard
    /// A span per attempt and per step; default none.
    private let tracing: MessageTracing
    /// Callers of synchronous integrations waiting for an outcome.
    private let replies: ReplyBoard
    private let random: @Sendable () -> Double
    private let wake = WakeUp()
    private let inFlight = Mutex<[String: Int]>([:])
    private let stopping = Atomic<Bool>(false)
    /// Claimed messages whose outcome is not yet committed (a slot is freed before its commit).
    private let unfinished = Atomic<Int>(0)
    /// Ids of the claimed messages whose delivery has not ended: what this loop works on.
    private let underWay = Mutex<Set<String>>([])
    /// A claim failed: the store may have leased messages whose answer never arrived, which the
    /// next round gives back (`releaseLostClaims`).
    private let claimLost = Atomic<Bool>(false)
    private let completions: GroupCommitter<Completion, Bool>
    /// Integrations that store but do not deliver.
    private let paused = Mutex<Set<String>>([])
    /// Deliveries whose attempt was cut short by the end of the grace.
    private let interrupted = Atomic<Int>(0)
    private let shutdownReport = Mutex<ShutdownReport?>(nil)

    /// What the last graceful shutdown did; nil until one ended.
    public var lastShutdown: ShutdownReport? { shutdownReport.withLock { $0 } }

    /// - Parameters:
    ///   - connectors: Each target system's connector by system id.
    ///   - budgets: Each target system's budget by system id; the dispatcher only reads and sets its `Retry-After` pause.
    public init(
        store: any MessageStore, routes: [Route], connectors: [String: any Connector], budgets: [String: SystemBudget], clock: any WallClock,
        configuration: DispatcherConfiguration, metrics: HubMetrics, logger: Logger, health: StoreHealth? = nil,
        board: HealthBoard = HealthBoard(), tracing: MessageTracing = .off, replies: ReplyBoard = ReplyBoard(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.tracing = tracing
        self.replies = replies
        self.health = health ?? StoreHealth(clock: clock, logger: logger)
        self.board = board
        self.store = store
        self.routes = routes
        self.connectors = connectors
        self.budgets = budgets
        self.clock = clock
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.random = random
        self.completions = GroupCommitter { batch in try await store.complete(batch) }
    }

    /// Tells the dispatcher that new work may be ready.
    public func wakeUp() { wake.signal() }

    /// Stops or starts claiming an integration's messages; deliveries in flight finish.
    public func setPaused(_ integration: String, _ isPaused: Bool) {
        paused.withLock { if isPaused { $0.insert(integration) } else { $0.remove(integration) } }
        wake.signal()
    }

    public func isPaused(_ integration: String) -> Bool { paused.withLock { $0.contains(integration) } }

    public func run() async throws {
        if let pauses = store as? any PauseStore {
            let stored = try await pauses.pausedIntegrations()
            paused.withLock { $0.formUnion(stored) }
        }
        if configuration.generation == 0 {
            let released = try await store.releaseLeases(
                owner: configuration.leaseOwner, now: clock.now(), recovering: configuration.maxInterruptions)
            if released > 0 {
                logger.notice("took back the messages this node was processing when it stopped", metadata: ["sb.count": "\(released)"])
            }
        }
        try await withGracefulShutdownHandler {
            // When the shutdown began and what was under way then.
            let stop = await withDiscardingTaskGroup { group -> (began: Int64, inFlight: Int, stillRunning: Int) in
                while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                    let claimed = await claimRound { message, route in
                        group.addTask { await self.deliver(message, route: route) }
                    }
                    if !claimed { await wake.wait(until: clock.now() + configuration.pollInterval.milliseconds, clock: clock) }
                }
                let began = clock.now()
                let inFlight = unfinished.load(ordering: .relaxed)
                let deadline = began + configuration.shutdownGrace.milliseconds
                while unfinished.load(ordering: .relaxed) > 0 && clock.now() < deadline {
                    await wake.wait(until: min(deadline, clock.now() + configuration.pollInterval.milliseconds), clock: clock)
                }
                let stillRunning = unfinished.load(ordering: .relaxed)
                if stillRunning > 0 {
                    logger.warning("shutdown grace ended; interrupting the deliveries still under way", metadata: ["sb.count": "\(stillRunning)"])
                }
                group.cancelAll()
                return (began, inFlight, stillRunning)
            }
            let unattempted = try await store.releaseLeases(owner: configuration.leaseOwner, now: clock.now())
            let report = ShutdownReport(
                inFlight: stop.inFlight, finished: stop.inFlight - stop.stillRunning, interrupted: interrupted.load(ordering: .relaxed),
                releasedUnattempted: unattempted, millis: clock.now() - stop.began, grace: configuration.shutdownGrace)
            shutdownReport.withLock { $0 = report }
            logger.notice("\(report)")
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wake.signal()
        }
    }

    /// Claims for every route with free capacity whose target is not paused. True when it claimed any.
    private func claimRound(start: (Message, Route) -> Void) async -> Bool {
        var claimedAny = false
        if claimLost.load(ordering: .relaxed) { await releaseLostClaims() }
        let now = clock.now()
        let pausedNow = paused.withLock { $0 }
        for route in routes where !pausedNow.contains(route.id) {
            let busy = inFlight.withLock { $0[route.id, default: 0] }
            let free = route.concurrency - busy
            // Under load, claim in batches: wait until a quarter of the slots are free rather than
            // claiming (one store write) after every single completion.
            guard free > 0, busy == 0 || free >= max(1, route.concurrency / 4) else { continue }
            if let budget = budgets[route.targetSystem], budget.pausedUntil > now { continue }
            let lease = route.policy.timeout.milliseconds + configuration.leaseMargin.milliseconds
            do {
                let messages = try await store.claim(
                    integration: route.id, limit: free, now: now, leaseMillis: lease, owner: configuration.leaseOwner,
                    maxInterruptions: configuration.maxInterruptions)
                for message in messages {
                    underWay.withLock { _ = $0.insert(message.id) }
                    inFlight.withLock { $0[route.id, default: 0] += 1 }
                    unfinished.add(1, ordering: .relaxed)
                    start(message, route)
                    claimedAny = true
                }
            } catch {
                claimLost.store(true, ordering: .relaxed)
                logger.error("claiming messages failed", metadata: ["sb.integration": "\(route.id)", "sb.error": "\(error)"])
            }
        }
        return claimedAny
    }

    /// After a failed claim: a claim the store committed but whose answer was lost (the database
    /// restarted, failed over or did not answer in time) left messages leased to this loop that
    /// it never received. It gives back every lease of its own but those under way, so they are
    /// claimable at once rather than when their leases end.
    private func releaseLostClaims() async {
        let keeping = underWay.withLock { $0 }
        do {
            let released = try await store.releaseLeases(owner: configuration.leaseOwner, now: clock.now(), recovering: nil, keeping: keeping)
            claimLost.store(false, ordering: .relaxed)
            if released > 0 {
                logger.notice("gave back messages leased by a claim whose answer was lost", metadata: ["sb.count": "\(released)"])
            }
        } catch {
            // Still failing: the next round tries again.
        }
    }

    private func deliver(_ message: Message, route: Route) async {
        var work = Work(message: message, route: route)
        defer {
            underWay.withLock { _ = $0.remove(message.id) }
            releaseSlot(&work)
            unfinished.subtract(1, ordering: .relaxed)
            wake.signal()
        }
        let attempt = message.lifecycle.attempts + 1
        work.span = tracing.start("deliver \(route.id)", kind: .client, traceparent: message.traceparent)
        // The trace the target and the log continue: the attempt's span, or without tracing the sender's.
        work.traceparent = work.span.flatMap(tracing.traceparent(of:)) ?? message.traceparent
        defer { work.span?.end() }
        work.span?.describe(message: message.id, integration: route.id, system: route.targetSystem)
        work.span?.updateAttributes { $0["switchboard.attempt"] = attempt }
        let stepped: Route.Outcome
        do {
            stepped = try route.run(
                try JSONValue(json: message.payload), messageID: message.id, attempt: attempt, orderingKey: message.orderingKey, tracing: tracing,
                parent: work.span)
        } catch let error as StepError {
            return await finish(
                &work, .failed(.permanent, now: clock.now(), backoff: 0, maxAttempts: route.policy.maxAttempts), status: nil, detail: error.message)
        } catch {
            return await finish(
                &work, .failed(.permanent, now: clock.now(), backoff: 0, maxAttempts: route.policy.maxAttempts), status: nil,
                detail: "the stored payload is not valid JSON")
        }
        var delivery: Delivery
        switch stepped {
        case .filtered(let reason): return await finish(&work, .filtered, status: nil, detail: reason)
        case .deliver(let made): delivery = made
        }
        delivery.traceparent = work.traceparent
        if let pausedUntil = budgets[route.targetSystem]?.pausedUntil, pausedUntil > clock.now() + 1_000 {
            return await finish(&work, .released(at: pausedUntil), status: nil, detail: "target \(route.targetSystem) is paused by Retry-After")
        }
        guard let connector = connectors[route.targetSystem] else {
            return await finish(
                &work, .failed(.permanent, now: clock.now(), backoff: 0, maxAttempts: route.policy.maxAttempts), status: nil,
                detail: "no connector delivers to system \(route.targetSystem)")
        }
        let started = clock.now()
        let attempted = await connector.attempt(delivery, timeout: route.policy.timeout)
        let outcome = attempted.outcome
        let now = clock.now()
        let verdict = OutcomeClassifier.classify(outcome, now: now)
        work.request =
            switch configuration.recordRequests {
            case .all: attempted.request
            case .failures: verdict == .delivered ? nil : attempted.request
            case .none: nil
            }
        var status: Int?
        var detail: String
        switch outcome {
        case .response(let code, _, let body), .transient(let code, _, let body), .refused(let code, let body):
            status = code
            detail = body
            work.answer = body
        case .timeout: detail = "no answer within \(route.policy.timeout)"
        case .connectionFailed(let reason), .unsendable(let reason): detail = reason
        }
        if Task.isCancelled, verdict != .delivered {
            interrupted.add(1, ordering: .relaxed)
            return await finish(
                &work, .interruptedAttempt(at: now), status: status, duration: now - started,
                detail: "attempt interrupted when the shutdown's grace ended (the target may have received it): \(detail)")
        }
        switch outcome {
        case .timeout: board.targetFailed(route.targetSystem, detail, now: now)
        case .connectionFailed(let reason): board.targetFailed(route.targetSystem, reason, now: now)
        case .response(let code, _, _) where code >= 500: board.targetFailed(route.targetSystem, "answered \(code): \(detail.prefix(200))", now: now)
        case .response, .transient, .refused: board.targetAnswered(route.targetSystem)
        case .unsendable: break
        }
        // A `Retry-After` the target answered pauses the whole system; one a connector gives with
        // a `transient` outcome (one of several identities is paused) delays this message alone.
        let systemWait: Int64? = if case .retryable(let notBefore?) = verdict, case .response = outcome { notBefore } else { nil }
        if let notBefore = systemWait { board.throttled(route.targetSystem, until: notBefore) }
        if let notBefore = systemWait, let system = budgets[route.targetSystem] {
            await system.pause(until: notBefore)
            metrics.throttled(system: route.targetSystem)
            logger.notice("target asked to wait", metadata: ["sb.system": "\(route.targetSystem)", "sb.until": "\(notBefore)"])
        }
        let duration = now - started
        // The attempt and the transition it causes are one audit record: its outcome's kind, with
        // the attempt number, status and duration.
        switch verdict {
        case .delivered:
            await finish(&work, .delivered, status: status, duration: duration, detail: nil)
        case .retryable(let notBefore):
            let backoff = route.policy.backoff.delayMillis(afterAttempt: attempt, unit: random())
            await finish(
                &work, .failed(.retryable(notBefore: notBefore), now: now, backoff: backoff, maxAttempts: route.policy.maxAttempts),
                status: status, duration: duration, detail: detail)
        case .permanent:
            await finish(
                &work, .failed(.permanent, now: now, backoff: 0, maxAttempts: route.policy.maxAttempts), status: status, duration: duration,
                detail: detail)
        }
    }

    private struct Work {
        var message: Message
        var route: Route
        var audit: [AuditRecord] = []
        var holdsSlot = true
        /// The attempt's request, when it is to be kept.
        var request: (@Sendable () -> OutboundRequest)?
        /// The attempt's span, when tracing.
        var span: (any Span)?
        /// The W3C trace context of the attempt (its span's, or the sender's); nil: none.
        var traceparent: String?
        /// The target's answer body, for a synchronous integration's caller.
        var answer: String?
    }

    /// Tries again to record an outcome the store refused (it restarted, failed over, or did not
    /// answer in time): the target has answered, so the hub keeps what it learnt instead of
    /// delivering again. Waits 250 ms, doubling to 5 s, until the store takes it or the lease is
    /// about to end (then the lease lapses and the message is delivered again: at least once).
    /// True when recorded.
    private func recordAgain(_ completion: Completion, leaseEnds: Int64?) async -> Bool {
        guard let leaseEnds else { return false }
        var wait: Int64 = 250
        while clock.now() + wait < leaseEnds {
            do { try await clock.sleep(until: clock.now() + wait) } catch { return false }
            do {
                guard try await completions.submit(completion) else {
                    // Taken already by the attempt that seemed to fail, or the lease was lost.
                    logger.warning("the outcome was not recorded again: the message's lease has changed", metadata: ["sb.message.id": "\(completion.messageID)"])
                    return false
                }
                return true
            } catch {
                wait = min(wait * 2, 5_000)
            }
        }
        return false
    }

    /// Frees the delivery's slot in its integration's concurrency and wakes the claim loop, once.
    private func releaseSlot(_ work: inout Work) {
        guard work.holdsSlot else { return }
        work.holdsSlot = false
        inFlight.withLock { $0[work.route.id, default: 1] -= 1 }
        wake.signal()
    }

    /// Applies the event, records the change and its audit in one store call, and counts it.
    private func finish(_ work: inout Work, _ event: MessageLifecycle.Event, status: Int?, duration: Int64? = nil, detail: String?) async {
        var lifecycle = work.message.lifecycle
        let before = lifecycle.state
        let reason: MessageLifecycle.Reason
        do {
            reason = try lifecycle.apply(event)
        } catch {
            logger.error("lifecycle refused an event", metadata: ["sb.message.id": "\(work.message.id)", "sb.error": "\(error)"])
            return
        }
        let now = clock.now()
        let kind: AuditRecord.Kind =
            switch reason {
            case .delivered: .delivered
            case .filtered: .filtered
            case .retryScheduled: .retry
            case .permanentFailure, .attemptsExhausted: .dead
            case .released, .interrupted, .abandoned: .released
            case .poison: .dead
            case .leased: .leased
            case .replayed, .redelivered: .replayed
            }
        let text = reason == .attemptsExhausted ? "attempts exhausted (\(lifecycle.attempts)): \(detail ?? "")" : detail
        if let span = work.span {
            span.updateAttributes { attributes in
                attributes["switchboard.outcome"] = kind.rawValue
                if let status { attributes["http.response.status_code"] = status }
            }
            if kind != .delivered, kind != .filtered { span.fail(text ?? kind.rawValue) }
        }
        work.audit.append(
            AuditRecord(
                at: now, messageID: work.message.id, integration: work.route.id, kind: kind, fromState: before, toState: lifecycle.state,
                attempt: reason == .released || reason == .filtered || reason == .abandoned ? nil : lifecycle.attempts, status: status,
                durationMillis: duration, detail: text, revision: duration == nil ? nil : configuration.revision,
                request: work.request.map { RecordedRequest.text($0()) }))
        // The target is done with this message: free its slot now, so the next delivery need not
        // wait for this outcome's commit (the message stays leased until the commit lands).
        releaseSlot(&work)
        let completion = Completion(
            messageID: work.message.id, leaseToken: work.message.leaseToken ?? "", lifecycle: lifecycle,
            lastStatus: status, lastError: lifecycle.state == .delivered ? nil : text, audit: work.audit)
        do {
            // Past the grace the delivery's task is cancelled, and the store refuses work for a
            // cancelled task: the outcome is committed from a task of its own, so an interrupted
            // attempt is recorded as one instead of being given back as unattempted.
            let completions = self.completions
            let recorded =
                if Task.isCancelled {
                    try await Task { try await completions.submit(completion) }.value
                } else {
                    try await completions.submit(completion)
                }
            guard recorded else {
                logger.warning("lease was lost before the outcome was recorded", metadata: ["sb.message.id": "\(work.message.id)"])
                return
            }
        } catch {
            health.refused("recording a delivery's outcome", error: error)
            guard await recordAgain(completion, leaseEnds: work.message.lifecycle.leaseExpiresAt) else { return }
        }
        health.accepted()
        let integration = work.route.id
        if work.route.integration.pattern == .sync, kind != .leased, kind != .released {
            replies.resolve(work.message.id, ReplyBoard.Reply(outcome: kind, status: status, body: work.answer ?? text ?? ""))
        }
        switch lifecycle.state {
        case .delivered: metrics.delivered(integration, acceptToDeliveryMillis: now - work.message.receivedAt)
        case .filtered: metrics.filtered(integration)
        case .retryWait: metrics.retried(integration)
        case .dead:
            metrics.dead(integration)
            var metadata: Logger.Metadata = ["sb.message.id": "\(work.message.id)", "sb.integration": "\(integration)", "sb.reason": "\(text ?? "")"]
            if let trace = MessageTracing.traceID(work.traceparent) {
                metadata["trace_id"] = "\(trace)"
            }
            logger.warning("message is dead", metadata: metadata)
        default: break
        }
    }
}
