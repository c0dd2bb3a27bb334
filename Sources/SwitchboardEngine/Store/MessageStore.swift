/// Durable storage of messages and their audit log. The engine sees storage only through this protocol.
///
/// Guarantees every implementation gives:
/// - `enqueue` returns only after the message and its `received` audit record are committed with
///   the store's durability (by default on disk); a message it returned for survives a crash.
/// - A state change and its audit record commit together or not at all.
/// - `claim` hands a message to one caller at a time: it leases it with a fresh token, and a
///   completion that presents an older token is refused, so a worker whose lease expired cannot
///   overwrite the work of the one that claimed it next.
/// - `claim` keeps per-key order: a message with an ordering key is claimable only while no earlier
///   message of the same integration and key is ready, leased or waiting for a retry.
public protocol MessageStore: Sendable {
    /// Stores messages, suppressing those whose idempotency key was seen inside its window, and
    /// with them, in the same transaction, the position of the source that produced them: a crash
    /// keeps both or neither, so a polled source neither skips nor repeats what it read.
    /// Results are in the order of `messages`. A fenced checkpoint (`SourceCheckpoint.previous`)
    /// commits only if the saved position is still the one the poller read from; otherwise
    /// nothing is stored and it throws `CheckpointMoved`: another node read the same page first.
    func enqueue(_ messages: [NewMessage], checkpoint: SourceCheckpoint?) async throws -> [EnqueueResult]

    /// The position last saved for a source, or nil when it has none yet.
    func checkpoint(source: String) async throws -> String?

    /// Leases up to `limit` claimable messages of one integration, oldest first, to `owner` (a node id),
    /// recording a `leased` audit record for each. An expired lease taken over counts as an
    /// interruption, and a message past `maxInterruptions` is written dead as a poison message and
    /// not returned (`MessageTransitions.lease`).
    func claim(integration: String, limit: Int, now: Int64, leaseMillis: Int64, owner: String, maxInterruptions: Int) async throws -> [Message]

    /// Records outcomes of work on leased messages, each with its new lifecycle and audit records,
    /// in one transaction. For each, false means nothing was changed because its lease token is
    /// no longer the message's lease.
    func complete(_ completions: [Completion]) async throws -> [Bool]

    /// Puts every message leased by `owner` back to ready and returns how many changed. With
    /// `recovering` (at start: the node stopped without finishing them) each counts an
    /// interruption and one past that many is dead as a poison message
    /// (`MessageTransitions.recoverLease`), and the leases of every delivery loop of the node
    /// count (`owner`, and `owner#N` for a reload's loops); nil (the end of a graceful shutdown,
    /// when no delivery is under way) gives back, unattempted, the leases of `owner` exactly
    /// (`MessageTransitions.releaseLease`), but for the messages in `keeping` (those still under
    /// way: after a claim whose answer was lost, the loop gives back what it never received).
    func releaseLeases(owner: String, now: Int64, recovering maxInterruptions: Int?, keeping: Set<String>) async throws -> Int

    func message(id: String) async throws -> Message?
    func messages(matching filter: MessageFilter) async throws -> [Message]
    /// Counts by integration and state.
    func counts() async throws -> [StateCount]
    func audit(matching filter: AuditFilter) async throws -> [AuditRecord]

    /// Moves dead messages back to ready; returns the ids replayed.
    func replay(matching filter: MessageFilter, ids: [String]?, now: Int64, actor: String) async throws -> [String]
    /// Puts messages of `integrations` delivered at or after `since` (their last change, epoch
    /// ms) back to ready, oldest first, each with an audit record; returns their ids. With
    /// `dryRun`, changes nothing and returns the ids it would.
    func redeliver(integrations: [String], since: Int64, now: Int64, actor: String, dryRun: Bool) async throws -> [String]
    /// Deletes dead messages, leaving an audit record for each; returns the ids discarded.
    func discard(matching filter: MessageFilter, ids: [String]?, now: Int64, actor: String, reason: String?) async throws -> [String]

    /// Deletes audit records, finished messages and idempotency keys expired at `now`, older than
    /// `cutoff`: at most `limit` of each in one short transaction, so that a prune after a busy
    /// day never holds the store's writers for long. Returns how many it deleted; call again
    /// until it returns 0.
    func prune(before cutoff: Int64, now: Int64, limit: Int) async throws -> Int

    /// Gives back the space a large prune freed (SQLite: checkpoints and truncates its WAL). A
    /// store that needs nothing does nothing.
    func reclaimSpace() async throws

    /// Keeps the tables every claim and completion writes healthy between prunes; the node that
    /// holds the `housekeeping` duty calls it every few seconds, so it must cost next to nothing
    /// when there is nothing to do. A store that needs nothing does nothing (SQLite reuses its
    /// pages); PostgreSQL vacuums its pending partition once it holds enough dead rows.
    func tidy() async throws

    /// Waits until the store can be used (a database server reached, its schema migrated);
    /// throws one sentence saying why not. A store that opened when it was made does nothing.
    func prepare() async throws

    /// Closes the store's connections; nothing may be called after it.
    func close() async

    /// Leased messages by node (the lease owner without its `#N`).
    func leaseCounts() async throws -> [String: Int]
}

/// Everything a running hub keeps: messages and audit, management tokens, paused integrations, dashboard sessions.
public typealias HubStore = MessageStore & TokenStore & PauseStore & SessionStore

extension MessageStore {
    public func prepare() async throws {}
    public func close() async {}

    /// Stores messages received from a caller (no source position).
    public func enqueue(_ messages: [NewMessage]) async throws -> [EnqueueResult] {
        try await enqueue(messages, checkpoint: nil)
    }
}

/// How far a polled source has been read: saved with the messages read up to there.
public struct SourceCheckpoint: Sendable, Hashable {
    /// Which source, for example `changes:accounts-to-erp`.
    public var source: String
    /// Where to go on from, for example a delta link.
    public var position: String
    /// Set: the position the messages were read from (nil: the source's start), which must
    /// still be the saved one for the enqueue to commit. Nil: no check.
    public var previous: String??

    public init(source: String, position: String, previous: String?? = nil) {
        self.source = source
        self.position = position
        self.previous = previous
    }
}

/// A fenced checkpoint found another position saved: another node read the same page first, and
/// nothing was stored.
public struct CheckpointMoved: Error, CustomStringConvertible {
    public var source: String
    public init(source: String) { self.source = source }
    public var description: String { "the position of \(source) moved on meanwhile (another node read it first); nothing was stored" }
}

/// Messages of one integration in one state.
public struct StateCount: Sendable, Hashable {
    public var integration: String
    public var state: MessageState
    public var count: Int

    public init(integration: String, state: MessageState, count: Int) {
        self.integration = integration
        self.state = state
        self.count = count
    }
}

/// The outcome of working on one leased message.
public struct Completion: Sendable {
    public var messageID: String
    public var leaseToken: String
    public var lifecycle: MessageLifecycle
    public var lastStatus: Int?
    public var lastError: String?
    public var audit: [AuditRecord]

    public init(messageID: String, leaseToken: String, lifecycle: MessageLifecycle, lastStatus: Int?, lastError: String?, audit: [AuditRecord]) {
        self.messageID = messageID
        self.leaseToken = leaseToken
        self.lifecycle = lifecycle
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.audit = audit
    }
}

extension MessageStore {
    /// `claim` with the default of three interruptions before a message is poison.
    public func claim(integration: String, limit: Int, now: Int64, leaseMillis: Int64, owner: String) async throws -> [Message] {
        try await claim(
            integration: integration, limit: limit, now: now, leaseMillis: leaseMillis, owner: owner,
            maxInterruptions: MessageLifecycle.defaultMaxInterruptions)
    }

    /// Prunes everything older than `cutoff`, batch after batch; returns how many it deleted.
    public func prune(before cutoff: Int64, now: Int64) async throws -> Int {
        var total = 0
        while case let removed = try await prune(before: cutoff, now: now, limit: 10_000), removed > 0 { total += removed }
        return total
    }

    /// Gives every message leased by `owner` back unattempted (the end of a graceful shutdown).
    public func releaseLeases(owner: String, now: Int64) async throws -> Int {
        try await releaseLeases(owner: owner, now: now, recovering: nil, keeping: [])
    }

    /// `releaseLeases(owner:now:recovering:keeping:)` keeping none.
    public func releaseLeases(owner: String, now: Int64, recovering maxInterruptions: Int?) async throws -> Int {
        try await releaseLeases(owner: owner, now: now, recovering: maxInterruptions, keeping: [])
    }
}
