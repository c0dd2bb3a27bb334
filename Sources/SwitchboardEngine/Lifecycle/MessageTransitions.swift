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
    /// (then the store leaves it alone). An expired lease taken over means the hub stopped while
    /// processing it: that counts as an interruption, and past `maxInterruptions` the change is
    /// the message's death as a poison message instead of a lease (the store writes it and does
    /// not hand the message out: check `lifecycle.state == .leased`).
    public static func lease(
        _ message: Message, now: Int64, duration: Int64, maxInterruptions: Int = MessageLifecycle.defaultMaxInterruptions
    ) -> Change? {
        var lifecycle = message.lifecycle
        guard lifecycle.isClaimable(at: now) else { return nil }
        let before = lifecycle.state
        var detail: String?
        if before == .leased {
            guard let abandoned = abandon(message, now: now, maxInterruptions: maxInterruptions, found: "its lease expired") else { return nil }
            if abandoned.lifecycle.state == .dead { return abandoned }
            lifecycle = abandoned.lifecycle
            detail = "previous lease expired: " + interruptionText(lifecycle.interruptions, of: maxInterruptions)
        }
        do { try lifecycle.apply(.lease(now: now, duration: duration)) } catch { return nil }
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: .leased, fromState: before, toState: .leased,
                attempt: lifecycle.attempts + 1, detail: detail))
    }

    /// Gives a leased message back unattempted, claimable at once, at the end of a graceful
    /// shutdown (its delivery never started). Nil when it is not leased.
    public static func releaseLease(_ message: Message, now: Int64) -> Change? {
        var lifecycle = message.lifecycle
        do { try lifecycle.apply(.released(at: now)) } catch { return nil }
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: .released, fromState: .leased, toState: .ready,
                detail: "lease given back unattempted at shutdown"))
    }

    /// A lease found at start among the node's own: the node stopped (crashed, was killed) while
    /// processing the message. Claimable at once, or dead as a poison message past
    /// `maxInterruptions`. Nil when it is not leased.
    public static func recoverLease(_ message: Message, now: Int64, maxInterruptions: Int = MessageLifecycle.defaultMaxInterruptions) -> Change? {
        abandon(message, now: now, maxInterruptions: maxInterruptions, found: "the hub stopped while processing it")
    }

    private static func abandon(_ message: Message, now: Int64, maxInterruptions: Int, found: String) -> Change? {
        var lifecycle = message.lifecycle
        let reason: MessageLifecycle.Reason
        do { reason = try lifecycle.apply(.abandoned(at: now, maxInterruptions: maxInterruptions)) } catch { return nil }
        let poisoned = reason == .poison
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: poisoned ? .dead : .released, fromState: .leased,
                toState: lifecycle.state,
                detail: poisoned
                    ? "poison message: the hub stopped while processing it \(lifecycle.interruptions) times (at most \(maxInterruptions) allowed); look at it before replaying"
                    : "\(found): " + interruptionText(lifecycle.interruptions, of: maxInterruptions)))
    }

    private static func interruptionText(_ count: Int, of maximum: Int) -> String {
        "interruption \(count) of at most \(maximum) before it is dead as a poison message"
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

    /// Puts a delivered message back to ready, to be sent again (its target lost it restoring a
    /// backup); nil when it is not delivered. Audited as a replay, with the reason.
    public static func redeliver(_ message: Message, now: Int64, actor: String) -> Change? {
        var lifecycle = message.lifecycle
        do { try lifecycle.apply(.redeliver(now: now)) } catch { return nil }
        return Change(
            lifecycle: lifecycle,
            audit: AuditRecord(
                at: now, messageID: message.id, integration: message.integration, kind: .replayed, fromState: .delivered, toState: .ready,
                detail: "redelivered: delivered at \(message.updatedAt), sent again because its target lost it", actor: actor))
    }

    /// The audit record of a dead message deleted by an operator; nil when it is not dead (then it is kept).
    public static func discard(_ message: Message, now: Int64, actor: String, reason: String?) -> AuditRecord? {
        guard message.state == .dead else { return nil }
        return AuditRecord(
            at: now, messageID: message.id, integration: message.integration, kind: .discarded, fromState: .dead, detail: reason, actor: actor)
    }
}
