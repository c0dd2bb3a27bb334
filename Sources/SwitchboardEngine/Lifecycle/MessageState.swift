/// Where a message is in its life. Stored as the raw integer.
public enum MessageState: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Waiting to be claimed by a worker.
    case ready = 0
    /// Claimed by a worker until its lease expires.
    case leased = 1
    /// The target accepted it. Terminal.
    case delivered = 2
    /// Waiting for its next attempt after a retryable failure.
    case retryWait = 3
    /// Permanent failure or attempts exhausted; waits for replay or discard.
    case dead = 4
    /// Dropped on purpose by a filter step. Terminal, and recorded, never silently lost.
    case filtered = 5

    public var description: String {
        switch self {
        case .ready: "ready"
        case .leased: "leased"
        case .delivered: "delivered"
        case .retryWait: "retry-wait"
        case .dead: "dead"
        case .filtered: "filtered"
        }
    }

    /// Parses the names `description` prints.
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = state
    }

    /// Delivered and filtered messages are finished; dead ones still wait for a person.
    public var isFinished: Bool { self == .delivered || self == .filtered }
}
