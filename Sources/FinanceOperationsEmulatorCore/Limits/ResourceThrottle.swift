import Synchronization

/// Finance & Operations' priority-based throttling, as a load model: the service throttles OData
/// requests with `429` and `Retry-After` when its web servers' resource use crosses a threshold,
/// and "a higher priority gets a higher resource threshold before throttling"
/// (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/priority-based-throttling).
/// The thresholds are not published, so here they are settings: the environment's capacity in
/// operations per window, and the share of it each priority may use before it is throttled.
///
/// Guarantees: a request is admitted only while the load of the window (operations admitted
/// within it, a batch counting each of its operations) stays under its priority's threshold, so
/// low priority is throttled first. `Retry-After` is `baseRetryAfter`; a client that calls again
/// before its `Retry-After` has passed ("clients that keep sending demanding requests after a
/// 429 get longer intervals") has it doubled each time, up to `maxRetryAfter`, and back to the
/// base once it waits it out.
public final class ResourceThrottle: Sendable {
    public enum Priority: String, Sendable, CaseIterable {
        case low, medium, high
    }

    public struct Settings: Sendable, Hashable {
        /// Off: every request is admitted.
        public var enabled = true
        /// Operations the environment carries per window before its highest threshold. 3,000.
        public var capacity = 3_000
        /// The window the load is counted over, in milliseconds. 60 s.
        public var windowMillis: Int64 = 60_000
        /// The share of `capacity` each priority may use. Low 50%, medium 75%, high 100%.
        public var shares: [Priority: Double] = [.low: 0.5, .medium: 0.75, .high: 1.0]
        /// `Retry-After` of a first 429, in seconds. 5.
        public var baseRetryAfter = 5
        /// The longest `Retry-After`, in seconds. 300 (the 5 minutes the service looks back over).
        public var maxRetryAfter = 300

        public init() {}

        func threshold(_ priority: Priority) -> Int { Int((Double(capacity) * (shares[priority] ?? 1)).rounded(.down)) }
    }

    public enum Decision: Sendable, Hashable {
        case admitted
        /// Not processed; retry after this many seconds.
        case throttled(retryAfter: Int)
    }

    private struct Client {
        var retryAfter = 0
        /// Until when the last 429 asked the client to wait (epoch milliseconds).
        var waitUntil: Int64 = 0
    }

    private struct State {
        /// Admitted operations: when, and how many; those before `start` have left the window.
        var admitted: [(at: Int64, count: Int)] = []
        var start = 0
        var load = 0
        var clients: [String: Client] = [:]
        var throttled: [Priority: Int] = [:]
    }

    public let settings: Settings
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())

    public init(settings: Settings, clock: @escaping @Sendable () -> Int64) {
        self.settings = settings
        self.clock = clock
    }

    /// Admits `operations` of `client`, or says how long it must wait.
    public func admit(client: String, priority: Priority, operations: Int = 1) -> Decision {
        guard settings.enabled else { return .admitted }
        let now = clock()
        return state.withLock { state in
            while state.start < state.admitted.count, state.admitted[state.start].at <= now - settings.windowMillis {
                state.load -= state.admitted[state.start].count
                state.start += 1
            }
            if state.start > 1_024, state.start * 2 > state.admitted.count {
                state.admitted.removeFirst(state.start)
                state.start = 0
            }
            var record = state.clients[client] ?? Client()
            if state.load + operations <= settings.threshold(priority) {
                if now >= record.waitUntil { record.retryAfter = 0 }
                state.clients[client] = record
                state.admitted.append((now, operations))
                state.load += operations
                return .admitted
            }
            // Called again before the last Retry-After passed: a longer one.
            record.retryAfter =
                now < record.waitUntil && record.retryAfter > 0
                ? min(settings.maxRetryAfter, record.retryAfter * 2) : settings.baseRetryAfter
            record.waitUntil = now + Int64(record.retryAfter) * 1_000
            state.clients[client] = record
            state.throttled[priority, default: 0] += 1
            return .throttled(retryAfter: record.retryAfter)
        }
    }

    /// Requests throttled so far, by priority.
    public var throttledByPriority: [Priority: Int] { state.withLock { $0.throttled } }

    /// The body of a 429, with the service's documented sentence.
    public static func message(retryAfter: Int) -> String {
        "This request could not be processed at this time due to system experiencing high resource utilization. Retry the request after \(retryAfter) seconds"
    }
}
