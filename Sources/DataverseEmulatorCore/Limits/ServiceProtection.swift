import Foundation
import Synchronization

/// Dataverse's service protection API limits, evaluated per application user over a sliding window.
///
/// https://learn.microsoft.com/power-apps/developer/data-platform/api-limits: per user, per web
/// server, 6,000 requests and 20 minutes (1,200,000 ms) of combined execution time in a 300-second
/// sliding window, and 52 concurrent requests. Exceeding one answers `429 Too Many Requests` with
/// `Retry-After` (seconds) and the documented error code and message; the concurrency limit
/// answers at once. Every response carries `x-ms-ratelimit-burst-remaining-xrm-requests` and
/// `x-ms-ratelimit-time-remaining-xrm-requests`.
public final class ServiceProtection: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Default 6,000.
        public var maxRequests: Int = 6_000
        /// Default 1,200,000 ms (20 minutes).
        public var maxExecutionMillis: Int64 = 1_200_000
        /// Default 52.
        public var maxConcurrent: Int = 52
        /// Default 300 s. Tests shrink it to seconds.
        public var windowMillis: Int64 = 300_000
        /// False switches every limit off (load tests of the client's own speed).
        public var enabled = true

        public init(
            maxRequests: Int = 6_000, maxExecutionMillis: Int64 = 1_200_000, maxConcurrent: Int = 52, windowMillis: Int64 = 300_000,
            enabled: Bool = true
        ) {
            self.maxRequests = maxRequests
            self.maxExecutionMillis = maxExecutionMillis
            self.maxConcurrent = maxConcurrent
            self.windowMillis = windowMillis
            self.enabled = enabled
        }
    }

    /// Which limit refused a request.
    public enum Reason: String, Sendable, CaseIterable {
        case requests, executionTime = "execution_time", concurrency
    }

    public let limits: Limits
    private let clock: @Sendable () -> Int64
    private let users = Mutex<[String: UserWindow]>([:])

    struct UserWindow {
        /// Start time and execution time of each finished request in the window, oldest first.
        var entries: [(at: Int64, executionMillis: Int64)] = []
        var head = 0
        var executionMillis: Int64 = 0
        var admitted = 0
        var inFlight = 0

        mutating func expire(before cutoff: Int64) {
            while head < entries.count, entries[head].at <= cutoff {
                executionMillis -= entries[head].executionMillis
                head += 1
            }
            if head > 1_024, head * 2 > entries.count {
                entries.removeFirst(head)
                head = 0
            }
        }

        var count: Int { entries.count - head + admitted }
    }

    /// - Parameter clock: Epoch milliseconds.
    public init(limits: Limits, clock: @escaping @Sendable () -> Int64) {
        self.limits = limits
        self.clock = clock
    }

    /// Admits a request of `user` or refuses it with the 429 Dataverse gives. An admitted request
    /// must be finished with `finish(_:startedAt:executionMillis:)`.
    public func admit(_ user: String) -> Result<Int64, DataverseError> {
        let now = clock()
        return users.withLock { users in
            var window = users[user] ?? UserWindow()
            defer { users[user] = window }
            guard limits.enabled else {
                window.inFlight += 1
                return .success(now)
            }
            window.expire(before: now - limits.windowMillis)
            if window.inFlight >= limits.maxConcurrent {
                return .failure(throttled(.concurrency, retryAfterSeconds: 1, window: window))
            }
            if window.count >= limits.maxRequests {
                return .failure(throttled(.requests, retryAfterSeconds: retryAfter(window, now: now), window: window))
            }
            if window.executionMillis >= limits.maxExecutionMillis {
                return .failure(throttled(.executionTime, retryAfterSeconds: retryAfter(window, now: now), window: window))
            }
            window.inFlight += 1
            window.admitted += 1
            return .success(now)
        }
    }

    /// Records that an admitted request ended after `executionMillis` of (simulated) server time.
    public func finish(_ user: String, startedAt: Int64, executionMillis: Int64) {
        users.withLock { users in
            guard var window = users[user] else { return }
            window.inFlight -= 1
            if limits.enabled {
                window.admitted -= 1
                window.entries.append((startedAt, executionMillis))
                window.executionMillis += executionMillis
            }
            users[user] = window
        }
    }

    /// The `x-ms-ratelimit-*` headers for a response to `user`.
    public func headers(_ user: String) -> [(String, String)] {
        guard limits.enabled else { return [] }
        let now = clock()
        return users.withLock { users in
            var window = users[user] ?? UserWindow()
            window.expire(before: now - limits.windowMillis)
            users[user] = window
            let remainingRequests = max(0, limits.maxRequests - window.count)
            let remainingSeconds = Double(max(0, limits.maxExecutionMillis - window.executionMillis)) / 1000
            return [
                ("x-ms-ratelimit-burst-remaining-xrm-requests", String(remainingRequests)),
                ("x-ms-ratelimit-time-remaining-xrm-requests", Self.grouped(remainingSeconds)),
            ]
        }
    }

    /// `1199.97` → `1,199.97`, the culture-formatted seconds the header is seen to carry.
    static func grouped(_ seconds: Double) -> String {
        let hundredths = Int64((seconds * 100).rounded())
        var whole = String(hundredths / 100)
        var index = whole.count - 3
        while index > 0 {
            whole.insert(",", at: whole.index(whole.startIndex, offsetBy: index))
            index -= 3
        }
        let fraction = hundredths % 100
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Seconds until the oldest request in the window leaves it; at least 1.
    private func retryAfter(_ window: UserWindow, now: Int64) -> Int {
        guard window.head < window.entries.count else { return 1 }
        let millis = window.entries[window.head].at + limits.windowMillis - now
        return max(1, Int((millis + 999) / 1000))
    }

    /// The documented error for each limit, with the configured numbers in the message.
    private func throttled(_ reason: Reason, retryAfterSeconds: Int, window: UserWindow) -> DataverseError {
        let seconds = limits.windowMillis / 1000
        let (code, message): (String, String) =
            switch reason {
            case .requests:
                ("0x80072322", "Number of requests exceeded the limit of \(limits.maxRequests) over time window of \(seconds) seconds.")
            case .executionTime:
                (
                    "0x80072321",
                    "Combined execution time of incoming requests exceeded limit of \(limits.maxExecutionMillis.formatted(.number.locale(Locale(identifier: "en_US")))) milliseconds over time window of \(seconds) seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later."
                )
            case .concurrency:
                ("0x80072326", "Number of concurrent requests exceeded the limit of \(limits.maxConcurrent).")
            }
        return DataverseError(status: 429, code: code, message: message, headers: ["Retry-After": String(retryAfterSeconds)])
    }
}
