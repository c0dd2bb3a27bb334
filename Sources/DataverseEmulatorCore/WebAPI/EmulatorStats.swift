import Foundation
import SwitchboardValues
import Synchronization

/// What the emulator counted: requests, 429s by reason, entitlement use per application user over
/// the last 24 hours, and batch sizes. Served at `/_emulator/stats`.
public final class EmulatorStats: Sendable {
    private let state = Mutex(State())
    private let clock: @Sendable () -> Int64

    struct State {
        var requests = 0
        var throttled: [String: Int] = [:]
        var statuses: [Int: Int] = [:]
        /// Per user: request counts per minute (epoch minute), pruned past 24 hours.
        var entitlement: [String: [Int64: Int]] = [:]
        var perUser: [String: Int] = [:]
        var injected: [String: Int] = [:]
        var batches = 0
        var batchRequests = 0
        var largestBatch = 0
        /// Bulk messages answered with success, by name (UpsertMultiple, ...), and their records.
        var bulk: [String: (requests: Int, records: Int)] = [:]
        /// Per user: execution time charged against the service protection limits, ms.
        var executionMillis: [String: Int64] = [:]
    }

    public init(clock: @escaping @Sendable () -> Int64) {
        self.clock = clock
    }

    /// Counts one Web API request of `user` answered with `status`; `operations` is what it costs
    /// against entitlements (each operation in a batch or bulk message counts).
    /// `executionMillis` is the time charged against the execution-time limit.
    public func record(
        user: String, status: Int, operations: Int = 1, executionMillis: Int64 = 0, throttled: ServiceProtection.Reason? = nil, injected: Bool = false
    ) {
        let minute = clock() / 60_000
        state.withLock { state in
            state.requests += 1
            state.executionMillis[user, default: 0] += executionMillis
            if injected { state.injected[status == 0 ? "dropped" : String(status), default: 0] += 1 }
            state.statuses[status, default: 0] += 1
            state.perUser[user, default: 0] += 1
            if let throttled { state.throttled[throttled.rawValue, default: 0] += 1; return }
            var buckets = state.entitlement[user] ?? [:]
            buckets[minute, default: 0] += operations
            if buckets.count > 1_500 { buckets = buckets.filter { $0.key > minute - 1_440 } }
            state.entitlement[user] = buckets
        }
    }

    /// Counts one bulk message (`UpsertMultiple`, ...) of `size` records that succeeded.
    public func bulk(_ name: String, size: Int) {
        state.withLock { state in
            let current = state.bulk[name] ?? (0, 0)
            state.bulk[name] = (current.requests + 1, current.records + size)
        }
    }

    /// Counts one `$batch` of `size` requests.
    public func batch(size: Int) {
        state.withLock { state in
            state.batches += 1
            state.batchRequests += size
            state.largestBatch = max(state.largestBatch, size)
        }
    }

    public func reset() {
        state.withLock { $0 = State() }
    }

    /// The counters as JSON, with the records changed as `store` counted them.
    public func json(changes: [ChangeEvent.Message: Int] = [:]) -> JSONValue {
        let minute = clock() / 60_000
        return state.withLock { state in
            var users: [String: JSONValue] = [:]
            for (user, total) in state.perUser {
                let day = (state.entitlement[user] ?? [:]).filter { $0.key > minute - 1_440 }.values.reduce(0, +)
                users[user] = .object([
                    "requests": .int(Int64(total)), "entitlement_requests_24h": .int(Int64(day)),
                    "execution_ms": .int(state.executionMillis[user] ?? 0),
                ])
            }
            return .object([
                "requests": .int(Int64(state.requests)),
                "throttled": .object(
                    Dictionary(
                        uniqueKeysWithValues: ServiceProtection.Reason.allCases.map {
                            ($0.rawValue, JSONValue.int(Int64(state.throttled[$0.rawValue] ?? 0)))
                        })),
                "statuses": .object(Dictionary(uniqueKeysWithValues: state.statuses.map { (String($0.key), JSONValue.int(Int64($0.value))) })),
                "users": .object(users),
                "injected_faults": .object(state.injected.mapValues { .int(Int64($0)) }),
                "records": .object(
                    Dictionary(
                        uniqueKeysWithValues: ChangeEvent.Message.allCases.map {
                            ($0.rawValue.lowercased() + "d", JSONValue.int(Int64(changes[$0] ?? 0)))
                        })),
                "bulk": .object(state.bulk.mapValues { .object(["requests": .int(Int64($0.requests)), "records": .int(Int64($0.records))]) }),
                "batches": .object([
                    "count": .int(Int64(state.batches)), "requests": .int(Int64(state.batchRequests)), "largest": .int(Int64(state.largestBatch)),
                ]),
            ])
        }
    }

    /// The counters in Prometheus text format.
    public func prometheus() -> String {
        let json = json()
        var lines: [String] = []
        lines.append("# TYPE dataverse_emulator_requests_total counter")
        lines.append("dataverse_emulator_requests_total \(json["requests"]?.text ?? "0")")
        lines.append("# TYPE dataverse_emulator_throttled_total counter")
        for reason in ServiceProtection.Reason.allCases {
            lines.append("dataverse_emulator_throttled_total{reason=\"\(reason.rawValue)\"} \(json["throttled"]?[reason.rawValue]?.text ?? "0")")
        }
        lines.append("# TYPE dataverse_emulator_entitlement_requests_24h gauge")
        if case .object(let users) = json["users"] ?? .null {
            for user in users.keys.sorted() {
                lines.append(
                    "dataverse_emulator_entitlement_requests_24h{client_id=\"\(user)\"} \(users[user]?["entitlement_requests_24h"]?.text ?? "0")")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
