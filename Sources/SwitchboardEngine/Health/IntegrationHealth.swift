import SwitchboardModel

/// How an integration is doing, in a level and the sentences that explain it, from what the hub
/// sees: its source and its target as the `HealthBoard` has them, whether it is paused, its dead
/// letters and its backlog against its delivery-latency objective.
///
/// `failing`: its source is failing, or its target is. `warning`: its target is throttling it, it
/// is paused, its change feed started again from the beginning in the last hour, it has dead
/// letters, or a message has waited longer than its objective. `ok`: none.
public struct IntegrationHealth: Sendable, Hashable {
    public enum Level: String, Sendable, Hashable, Comparable, CaseIterable {
        case ok, warning, failing

        public static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    public var level: Level
    /// Worst first: `the target erp has failed for 45 s: connection refused by 127.0.0.1:9090`.
    public var reasons: [String]

    public init(level: Level, reasons: [String]) {
        self.level = level
        self.reasons = reasons
    }

    /// Nothing wrong seen.
    public static let ok = IntegrationHealth(level: .ok, reasons: [])

    /// What the hub knows of one integration at `now` (epoch ms).
    public struct Facts: Sendable {
        public var source: HealthBoard.Watch
        public var sourceSystem: String
        public var target: HealthBoard.Watch
        public var targetSystem: String
        public var paused: Bool
        public var deadLetters: Int
        /// How long a message that waited longer than the objective has waited (ms); nil: none has.
        public var oldestWaitMillis: Int64?
        public var objective: Duration?

        public init(
            source: HealthBoard.Watch, sourceSystem: String, target: HealthBoard.Watch, targetSystem: String, paused: Bool, deadLetters: Int,
            oldestWaitMillis: Int64?, objective: Duration?
        ) {
            self.source = source
            self.sourceSystem = sourceSystem
            self.target = target
            self.targetSystem = targetSystem
            self.paused = paused
            self.deadLetters = deadLetters
            self.oldestWaitMillis = oldestWaitMillis
            self.objective = objective
        }
    }

    /// How long a change feed's start from the beginning is shown as a warning. One hour.
    public static let restartShownMillis: Int64 = 3_600_000

    public static func assess(_ facts: Facts, now: Int64) -> IntegrationHealth {
        var failing: [String] = []
        var warnings: [String] = []
        func since(_ watch: HealthBoard.Watch) -> String { Duration.milliseconds(max(0, now - (watch.failingSince ?? now))).spoken }
        if facts.source.isFailing {
            failing.append("the source \(facts.sourceSystem) has failed for \(since(facts.source)): \(facts.source.lastError ?? "no detail")")
        }
        if facts.target.isFailing {
            failing.append("the target \(facts.targetSystem) has failed for \(since(facts.target)): \(facts.target.lastError ?? "no detail")")
        }
        if let until = facts.target.throttledUntil, until > now {
            warnings.append("the target \(facts.targetSystem) asked to wait \(Duration.milliseconds(until - now).spoken) more (throttled)")
        }
        if let restarted = facts.source.restartedAt, now - restarted < restartShownMillis {
            warnings.append(
                "\(Duration.milliseconds(max(0, now - restarted)).spoken) ago: \(facts.source.restartReason ?? "the change feed started again")")
        }
        if facts.paused { warnings.append("paused: messages are stored and not delivered") }
        if facts.deadLetters > 0 { warnings.append("\(facts.deadLetters) dead letter\(facts.deadLetters == 1 ? "" : "s")") }
        if let objective = facts.objective, let waited = facts.oldestWaitMillis, waited > objective.milliseconds {
            warnings.append(
                "a message has waited \(Duration.milliseconds(waited).spoken), longer than the delivery-latency objective of \(objective.spoken)")
        }
        let level: Level = !failing.isEmpty ? .failing : !warnings.isEmpty ? .warning : .ok
        return IntegrationHealth(level: level, reasons: failing + warnings)
    }

    public var json: JSONValue { .object(["status": .string(level.rawValue), "reasons": .array(reasons.map(JSONValue.string))]) }
}
