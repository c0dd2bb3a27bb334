/// What `store migrate` carries from one store to another: everything a hub keeps.
public struct StoredMessage: Sendable, Hashable {
    public var message: Message
    /// The node holding its lease, when leased.
    public var leaseOwner: String?

    public init(message: Message, leaseOwner: String?) {
        self.message = message
        self.leaseOwner = leaseOwner
    }
}

/// A suppressed-duplicates entry: `key` of `integration` was first seen as `messageID`.
public struct StoredIdempotencyKey: Sendable, Hashable {
    public var integration: String
    public var key: String
    public var messageID: String
    public var seenAt: Int64
    public var expiresAt: Int64

    public init(integration: String, key: String, messageID: String, seenAt: Int64, expiresAt: Int64) {
        self.integration = integration
        self.key = key
        self.messageID = messageID
        self.seenAt = seenAt
        self.expiresAt = expiresAt
    }
}

/// The small tables: positions, keys, tokens, pauses.
public struct StoreSettingsSnapshot: Sendable {
    public var checkpoints: [SourceCheckpoint]
    public var idempotencyKeys: [StoredIdempotencyKey]
    public var tokens: [APIToken]
    /// Paused integrations, with when and by whom.
    public var paused: [(integration: String, at: Int64, actor: String)]

    public init(
        checkpoints: [SourceCheckpoint], idempotencyKeys: [StoredIdempotencyKey], tokens: [APIToken],
        paused: [(integration: String, at: Int64, actor: String)]
    ) {
        self.checkpoints = checkpoints
        self.idempotencyKeys = idempotencyKeys
        self.tokens = tokens
        self.paused = paused
    }
}

/// A store that can be read whole, in arrival order, page by page.
public protocol StoreExporting: Sendable {
    /// Messages in every state with `sequence > after`, in sequence order, at most `limit`.
    func exportMessages(after: Int64, limit: Int) async throws -> [StoredMessage]
    /// Audit records with an id above `after`, oldest first, with their ids.
    func exportAudit(after: Int64, limit: Int) async throws -> [(id: Int64, record: AuditRecord)]
    func exportSettings() async throws -> StoreSettingsSnapshot
}

/// A store that can be filled from another.
public protocol StoreImporting: Sendable {
    /// True when it holds no message, audit record, key, checkpoint, token or pause.
    func isEmpty() async throws -> Bool
    /// Writes messages as they were (states, attempts, leases, sequence numbers).
    func importMessages(_ messages: [StoredMessage]) async throws
    func importAudit(_ records: [AuditRecord]) async throws
    /// Writes the small tables, and sets the next sequence number past every imported message.
    func importSettings(_ settings: StoreSettingsSnapshot) async throws
}

/// Copies everything from `source` into the empty `target`, a page at a time; returns the counts.
public enum StoreTransfer {
    public struct Counts: Sendable, Hashable {
        public var messages = 0
        public var audit = 0
        public var idempotencyKeys = 0
        public var checkpoints = 0
        public var tokens = 0
        public var paused = 0
    }

    public struct TargetNotEmpty: Error, CustomStringConvertible {
        public var description: String { "the target store is not empty; migrate into a new, empty database" }
    }

    public static func copy(from source: any StoreExporting, to target: any StoreImporting, page: Int = 1_000) async throws -> Counts {
        guard try await target.isEmpty() else { throw TargetNotEmpty() }
        var counts = Counts()
        var after: Int64 = 0
        while case let messages = try await source.exportMessages(after: after, limit: page), !messages.isEmpty {
            try await target.importMessages(messages)
            counts.messages += messages.count
            after = messages.last!.message.sequence
        }
        after = 0
        while case let records = try await source.exportAudit(after: after, limit: page), !records.isEmpty {
            try await target.importAudit(records.map(\.record))
            counts.audit += records.count
            after = records.last!.id
        }
        let settings = try await source.exportSettings()
        try await target.importSettings(settings)
        counts.idempotencyKeys = settings.idempotencyKeys.count
        counts.checkpoints = settings.checkpoints.count
        counts.tokens = settings.tokens.count
        counts.paused = settings.paused.count
        return counts
    }
}
