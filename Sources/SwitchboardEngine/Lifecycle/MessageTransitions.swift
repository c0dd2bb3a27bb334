/// Every change a store makes to a stored message, decided here: the new lifecycle and the audit
/// record that goes with it. A store calls these inside its own transaction (a claim must choose
/// and lease in one step, so the decision cannot wait for a round trip to the engine) and writes
/// what they return; it decides nothing about the lifecycle itself, so a second store
/// (PostgreSQL) implements persistence and nothing else. Outcomes of deliveries are decided by
/// the dispatcher and reach the store as `Completion`s.
public enum MessageTransitions {
    /// A message's change: its lifecycle after, and the audit record to write with it.
    public struct Change: Sendable {
        public var lifecycle: MessageLifecycle
        public var audit: AuditRecord
    }

    /// The audit record of a message stored on arrival.
    public static func received(_ message: NewMessage) -> AuditRecord {
        AuditRecord(at: message.receivedAt, messageID: message.id, integration: message.integration, kind: .received, toState: .ready, actor: "hub")
    }

    /// Leases a claimable message until `now + duration`; nil when it is not claimable at `now`
    /// (then the store leaves it alone). An expired lease taken over says so in the audit.
    public static func lease(_ message: Message, now: Int64, duration: Int64) -> Change? {
        var lifecycle = message.lifecycle
        let before = lifecycle.state
        do { try lifecycle.apply(.lease(now: now, duration: duration)) } catch { return nil }
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: .leased, fromState: before, toState: .leased,
                attempt: lifecycle.attempts + 1, detail: before == .leased ? "previous lease expired" : nil))
    }

    /// Gives a leased message back unattempted, claimable at once: at start (its node stopped
    /// without finishing it) or at the end of a graceful shutdown. Nil when it is not leased.
    public static func releaseLease(_ message: Message, now: Int64) -> Change? {
        var lifecycle = message.lifecycle
        do { try lifecycle.apply(.released(at: now)) } catch { return nil }
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: .released, fromState: .leased, toState: .ready,
                detail: "lease given back unattempted at start or shutdown"))
    }

    /// Puts a dead message back to ready with its attempts reset; nil when it is not dead.
    public static func replay(_ message: Message, now: Int64, actor: String) -> Change? {
        var lifecycle = message.lifecycle
        do { try lifecycle.apply(.replay(now: now)) } catch { return nil }
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: .replayed, fromState: .dead, toState: .ready, actor: actor))
    }

    /// The audit record of a dead message deleted by an operator; nil when it is not dead (then it is kept).
    public static func discard(_ message: Message, now: Int64, actor: String, reason: String?) -> AuditRecord? {
        guard message.state == .dead else { return nil }
        return AuditRecord(
            at: now, messageID: message.id, integration: message.integration, kind: .discarded, fromState: .dead, detail: reason, actor: actor)
    }
}
