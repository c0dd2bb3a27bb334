import Synchronization

/// Request-reply for synchronous integrations (`pattern: sync`): the webhook that brought a
/// message waits here for its first attempt's outcome and answers its caller with the target's
/// answer, while the message is stored, audited and budgeted like any other.
///
/// Guarantees: a caller registers before its message is stored, so an outcome recorded however
/// soon after is never missed; each registration gets at most one reply and is forgotten once
/// answered or given up on; the dispatcher's cost when nobody waits is one dictionary lookup
/// under a lock per recorded outcome of a synchronous integration, and none for the others.
public final class ReplyBoard: Sendable {
    /// What the first attempt came to.
    public struct Reply: Sendable, Hashable {
        /// `delivered`, `retry`, `dead` or `filtered`.
        public var outcome: AuditRecord.Kind
        /// The target's status; nil when it gave no answer (a timeout, a refused connection) or
        /// none was asked (filtered, a step failed).
        public var status: Int?
        /// The target's answer body (as much as the audit keeps), or why there is none.
        public var body: String

        public init(outcome: AuditRecord.Kind, status: Int?, body: String) {
            self.outcome = outcome
            self.status = status
            self.body = body
        }
    }

    private let waiting = Mutex<[String: Latch<Reply>]>([:])

    public init() {}

    /// Starts waiting for a message's first outcome; call before the message is stored.
    public func register(_ messageID: String) {
        waiting.withLock { $0[messageID] = Latch() }
    }

    /// Stops waiting for a message (it was not stored, or the caller went away).
    public func forget(_ messageID: String) {
        _ = waiting.withLock { $0.removeValue(forKey: messageID) }
    }

    /// The reply, or nil when none came within `timeout` (the message goes on as its policy says).
    public func reply(to messageID: String, within timeout: Duration) async -> Reply? {
        defer { forget(messageID) }
        guard let latch = waiting.withLock({ $0[messageID] }) else { return nil }
        return await withTaskGroup(of: Reply?.self) { group in
            group.addTask { try? await latch.value() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
    }

    /// Called by the dispatcher with each recorded outcome of a synchronous integration.
    func resolve(_ messageID: String, _ reply: Reply) {
        waiting.withLock { $0[messageID] }?.set(reply)
    }
}
