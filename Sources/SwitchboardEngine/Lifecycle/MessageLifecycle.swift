/// The message lifecycle as a value-type state machine: events in, the next state out.
///
/// ```
/// ready ──lease──▶ leased ──delivered──▶ delivered
///   ▲                │ ├──filtered──▶ filtered
///   │                │ ├──retryable failure──▶ retry-wait ──(due)──lease──▶ leased
///   │                │ ├──permanent failure or attempts exhausted──▶ dead
///   │                │ ├──released (shutdown, paused target), interrupted attempt──▶ ready
///   │                │ └──abandoned (the hub stopped while processing it)──▶ ready, or dead as poison
///   ├──replay── dead
///   └──redeliver── delivered (its target restored a backup that lost it)
/// ```
/// A lease that expires (its worker crashed) makes the message claimable again: `isClaimable(at:)`
/// says so, and whoever takes it over applies `abandoned` first, so a message that stops the hub
/// every time it is processed is dead after `maxInterruptions` instead of crashing it forever.
/// Times are epoch milliseconds; nothing here reads a clock.
public struct MessageLifecycle: Sendable, Hashable {
    public private(set) var state: MessageState
    /// Attempts made so far (completed deliveries that failed or succeeded).
    public private(set) var attempts: Int
    /// Earliest time the message may be claimed.
    public private(set) var availableAt: Int64
    /// When the current lease ends; nil unless leased.
    public private(set) var leaseExpiresAt: Int64?
    /// Times the hub stopped (crashed, was killed) while processing it, since it arrived or was
    /// last replayed.
    public private(set) var interruptions: Int

    public init(state: MessageState = .ready, attempts: Int = 0, availableAt: Int64, leaseExpiresAt: Int64? = nil, interruptions: Int = 0) {
        self.state = state
        self.attempts = attempts
        self.availableAt = availableAt
        self.leaseExpiresAt = leaseExpiresAt
        self.interruptions = interruptions
    }

    /// Interruptions a message may survive before it is dead as a poison message. Default 3.
    public static let defaultMaxInterruptions = 3

    public enum Failure: Sendable, Hashable {
        /// May succeed later (408, 425, 429, 5xx, timeout, connection error). `notBefore` is a
        /// `Retry-After` deadline: the next attempt waits at least until then.
        case retryable(notBefore: Int64?)
        /// Will not succeed by retrying (other 4xx, a step that cannot map the message).
        case permanent
    }

    public enum Event: Sendable, Hashable {
        case lease(now: Int64, duration: Int64)
        case delivered
        case filtered
        /// `backoff` is the wait the retry policy chose for this attempt.
        case failed(Failure, now: Int64, backoff: Int64, maxAttempts: Int)
        /// Given back unattempted (graceful shutdown, or its target is paused) to be claimed at `at`.
        case released(at: Int64)
        /// Its attempt was under way when a graceful shutdown's grace ended: counted as an attempt
        /// (the target may have received it) and claimable at `at`.
        case interruptedAttempt(at: Int64)
        /// The hub stopped while processing it (its lease was found at start, or expired and taken
        /// over). Claimable at `at`, or dead as a poison message once it happened more than
        /// `maxInterruptions` times.
        case abandoned(at: Int64, maxInterruptions: Int)
        case replay(now: Int64)
        /// A delivered message sent again: its target restored a backup taken before it arrived.
        case redeliver(now: Int64)
    }

    public struct InvalidTransition: Error, Hashable, CustomStringConvertible {
        public let state: MessageState
        public let event: String
        public var description: String { "a \(state) message cannot take the event '\(event)'" }
    }

    /// Why the message reached its new state, for the audit log.
    public enum Reason: String, Sendable {
        case leased, delivered, filtered, retryScheduled = "retry-scheduled", permanentFailure = "permanent-failure"
        case attemptsExhausted = "attempts-exhausted", released, replayed, redelivered
        case interrupted, abandoned, poison
    }

    /// True when a worker may claim the message at `now`: ready or retry-wait and due, or leased with an expired lease.
    public func isClaimable(at now: Int64) -> Bool {
        switch state {
        case .ready, .retryWait: return availableAt <= now
        case .leased: return (leaseExpiresAt ?? .max) <= now
        default: return false
        }
    }

    /// Applies an event and returns why the state changed; throws and changes nothing when the
    /// event is not allowed in the current state.
    @discardableResult
    public mutating func apply(_ event: Event) throws(InvalidTransition) -> Reason {
        switch (state, event) {
        case (.ready, .lease(let now, let duration)), (.retryWait, .lease(let now, let duration)), (.leased, .lease(let now, let duration)):
            guard isClaimable(at: now) else { throw InvalidTransition(state: state, event: "lease") }
            state = .leased
            leaseExpiresAt = now + duration
            return .leased
        case (.leased, .delivered):
            attempts += 1
            state = .delivered
            leaseExpiresAt = nil
            return .delivered
        case (.leased, .filtered):
            state = .filtered
            leaseExpiresAt = nil
            return .filtered
        case (.leased, .failed(let failure, let now, let backoff, let maxAttempts)):
            attempts += 1
            leaseExpiresAt = nil
            switch failure {
            case .permanent:
                state = .dead
                return .permanentFailure
            case .retryable(let notBefore):
                if attempts >= maxAttempts {
                    state = .dead
                    return .attemptsExhausted
                }
                state = .retryWait
                availableAt = max(now + backoff, notBefore ?? 0)
                return .retryScheduled
            }
        case (.leased, .released(let at)):
            state = .ready
            availableAt = at
            leaseExpiresAt = nil
            return .released
        case (.leased, .interruptedAttempt(let at)):
            attempts += 1
            state = .ready
            availableAt = at
            leaseExpiresAt = nil
            return .interrupted
        case (.leased, .abandoned(let at, let maxInterruptions)):
            interruptions += 1
            leaseExpiresAt = nil
            if interruptions > maxInterruptions {
                state = .dead
                return .poison
            }
            state = .ready
            availableAt = at
            return .abandoned
        case (.dead, .replay(let now)):
            reopen(at: now)
            return .replayed
        case (.delivered, .redeliver(let now)):
            reopen(at: now)
            return .redelivered
        default:
            throw InvalidTransition(state: state, event: event.name)
        }
    }

    /// Ready again at `now` as if it had just arrived: replay of a dead message, redelivery of a delivered one.
    private mutating func reopen(at now: Int64) {
        state = .ready
        attempts = 0
        interruptions = 0
        availableAt = now
    }
}

extension MessageLifecycle.Event {
    var name: String {
        switch self {
        case .lease: "lease"
        case .delivered: "delivered"
        case .filtered: "filtered"
        case .failed: "failed"
        case .released: "released"
        case .interruptedAttempt: "interrupted attempt"
        case .abandoned: "abandoned"
        case .replay: "replay"
        case .redeliver: "redeliver"
        }
    }
}
