import Synchronization

/// What the hub has seen, lately, of each integration's source and of each system as a target:
/// fed by the change pollers (each poll), the webhook door (each authentication) and the
/// dispatcher (each attempt's answer), read by the dashboard, the API, the metrics and the alerts.
///
/// Guarantees: a source is failing after `failuresToFail` failures in a row (a change feed that
/// cannot be read, or webhook requests that all fail their authentication) and healthy again at
/// its first success; a target is failing after `failuresToFail` attempts in a row that got no
/// answer, timed out or were answered with a server error, and healthy again at its first answer
/// of any other kind; a target is throttled until the time it asked to wait. Everything is kept
/// in memory: a restarted hub starts with every source and target healthy.
public final class HealthBoard: Sendable {
    /// Failures in a row that make a source or a target failing. 3.
    public let failuresToFail: Int

    /// One source or target, as last seen.
    public struct Watch: Sendable, Hashable {
        /// Failures since the last success.
        public var failures = 0
        /// When the first of those failures happened (epoch ms); nil while healthy.
        public var failingSince: Int64?
        /// The last failure's sentence.
        public var lastError: String?
        /// Until when the target asked to wait (epoch ms); nil: never, or not a target.
        public var throttledUntil: Int64?
        /// When the current run of failures began, failing or not yet.
        var firstFailure: Int64?
        /// When a change feed last started again from its beginning (epoch ms), and why.
        public var restartedAt: Int64?
        public var restartReason: String?

        public var isFailing: Bool { failingSince != nil }
    }

    private struct State {
        var sources: [String: Watch] = [:]
        var targets: [String: Watch] = [:]
    }

    private let state = Mutex(State())

    public init(failuresToFail: Int = 3) {
        self.failuresToFail = max(1, failuresToFail)
    }

    /// The integration's source delivered (a poll read, a webhook authenticated).
    public func sourceSucceeded(_ integration: String) {
        state.withLock { $0.sources[integration, default: Watch()].succeeded() }
    }

    public func sourceFailed(_ integration: String, _ reason: String, now: Int64) {
        let threshold = failuresToFail
        state.withLock { $0.sources[integration, default: Watch()].failed(reason, now: now, threshold: threshold) }
    }

    /// The integration's change feed started again from its beginning (the source refused the
    /// saved position); shown as a warning for an hour.
    public func sourceRestarted(_ integration: String, _ reason: String, now: Int64) {
        state.withLock {
            $0.sources[integration, default: Watch()].restartedAt = now
            $0.sources[integration, default: Watch()].restartReason = reason
        }
    }

    /// The system answered an attempt in a way that says it is up (any answer but a server error).
    public func targetAnswered(_ system: String) {
        state.withLock { $0.targets[system, default: Watch()].succeeded() }
    }

    public func targetFailed(_ system: String, _ reason: String, now: Int64) {
        let threshold = failuresToFail
        state.withLock { $0.targets[system, default: Watch()].failed(reason, now: now, threshold: threshold) }
    }

    /// The system asked to wait until `until` (a `429` with `Retry-After`, or its own limits).
    public func throttled(_ system: String, until: Int64) {
        state.withLock { state in
            state.targets[system, default: Watch()].throttledUntil = max(until, state.targets[system]?.throttledUntil ?? 0)
        }
    }

    public func source(_ integration: String) -> Watch { state.withLock { $0.sources[integration] ?? Watch() } }
    public func target(_ system: String) -> Watch { state.withLock { $0.targets[system] ?? Watch() } }
}

extension HealthBoard.Watch {
    mutating func succeeded() {
        failures = 0
        failingSince = nil
        firstFailure = nil
        lastError = nil
    }

    mutating func failed(_ reason: String, now: Int64, threshold: Int) {
        failures += 1
        lastError = reason
        if failures == 1 { firstFailure = now }
        if failures >= threshold, failingSince == nil { failingSince = firstFailure ?? now }
    }
}
