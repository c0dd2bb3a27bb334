import Logging
import Synchronization

/// Whether the store takes writes, as the hub's writers find out, and the one place that says so
/// in the log.
///
/// Guarantees: while writes are refused (a full disk, a read-only file system), the log says so
/// at most once per `interval`, with how many writes were refused since it last said it, instead
/// of once per refused request; the first write that succeeds after a refusal the log told of
/// says the store recovered. A store that flickers (a nearly full disk takes a small write
/// between refusals) is one outage in the log, not one per flicker: a refusal within `interval`
/// of the last one logged is counted, not logged.
/// `isRefusingWrites` is what `/api/v1/ready` answers from. Writers call `accepted()` on every
/// successful write: one atomic load while the store is healthy.
public final class StoreHealth: Sendable {
    private struct State {
        var refusing = false
        var lastLogged: Int64?
        var refusedSinceLog = 0
        var lastError = ""
        /// A refusal was logged and no recovery since.
        var announced = false
    }

    private let state = Mutex(State())
    private let refusing = Atomic<Bool>(false)
    private let clock: any WallClock
    private let interval: Duration
    private let logger: Logger

    /// - Parameter interval: Longest the log stays silent about refused writes. Default 30 s.
    public init(clock: any WallClock, logger: Logger, interval: Duration = .seconds(30)) {
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    /// True from a refused write until the next one that succeeds.
    public var isRefusingWrites: Bool { refusing.load(ordering: .relaxed) }

    /// The last refusal's error, while writes are refused.
    public var lastError: String? { state.withLock { $0.refusing ? $0.lastError : nil } }

    /// A write failed: `what` says which (`storing a webhook`, `recording an outcome`).
    public func refused(_ what: String, error: any Error) {
        let now = clock.now()
        let report = state.withLock { state -> (count: Int, error: String)? in
            state.refusing = true
            state.refusedSinceLog += 1
            // GRDB appends the statement to SQLite's message; the message is what a person needs.
            let text = "\(error)"
            state.lastError = text.range(of: " - while executing").map { String(text[..<$0.lowerBound]) } ?? text
            if let last = state.lastLogged, now - last < interval.milliseconds { return nil }
            defer {
                state.lastLogged = now
                state.refusedSinceLog = 0
                state.announced = true
            }
            return (state.refusedSinceLog, state.lastError)
        }
        refusing.store(true, ordering: .relaxed)
        if let report {
            logger.error(
                "the store refuses writes; the hub answers 503 and /api/v1/ready fails until it takes them again",
                metadata: ["sb.count": "\(report.count)", "sb.write": "\(what)", "sb.error": "\(report.error)"])
        }
    }

    /// A write succeeded.
    public func accepted() {
        guard refusing.load(ordering: .relaxed) else { return }
        let recovered = state.withLock { state -> Int? in
            guard state.refusing else { return nil }
            let announced = state.announced
            defer {
                state.refusing = false
                // Unannounced, the refusals are told with the next line.
                if announced { state.refusedSinceLog = 0 }
                state.announced = false
            }
            return announced ? state.refusedSinceLog : nil
        }
        refusing.store(false, ordering: .relaxed)
        if let recovered { logger.notice("the store takes writes again", metadata: ["sb.count": "\(recovered)"]) }
    }
}
