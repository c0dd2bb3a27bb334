/// One line of the audit log: a state change, with who or what caused it.
///
/// A delivery attempt is the record of the transition it caused (`delivered`, `retry`, `dead`, or
/// `released` when the hub stopped meanwhile), carrying the attempt number, the target's status,
/// the duration and a truncated error or response body.
public struct AuditRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case received, duplicate, leased, delivered, retry, dead, filtered, released, replayed, discarded
        /// An integration paused or resumed (its `messageID` is empty).
        case paused, resumed
        /// An attempt on a line of its own, as stores written before schema v2 hold them.
        case attempt

        /// The kinds a delivery attempt is recorded as.
        public static let attemptOutcomes: [Kind] = [.delivered, .retry, .dead, .released]
    }

    /// True when this record is the outcome of a delivery attempt (it has a duration).
    public var isAttempt: Bool { durationMillis != nil }

    /// Epoch milliseconds.
    public var at: Int64
    public var messageID: String
    public var integration: String
    public var kind: Kind
    public var fromState: MessageState?
    public var toState: MessageState?
    /// The attempt number this record is about, from 1.
    public var attempt: Int?
    /// HTTP status of the target's answer, when there was one.
    public var status: Int?
    public var durationMillis: Int64?
    /// A truncated error or response body, or a person's reason.
    public var detail: String?
    /// `hub` for the engine's own actions; a user or token name for a person's.
    public var actor: String
    /// For an attempt: the workspace revision that made it (`WorkspaceRevision.id`).
    public var revision: String?
    /// For an attempt: the request it sent, as `RecordedRequest` writes it, when kept.
    public var request: String?

    public init(
        at: Int64, messageID: String, integration: String, kind: Kind, fromState: MessageState? = nil, toState: MessageState? = nil,
        attempt: Int? = nil, status: Int? = nil, durationMillis: Int64? = nil, detail: String? = nil, actor: String = "hub",
        revision: String? = nil, request: String? = nil
    ) {
        self.revision = revision
        self.request = request
        self.at = at
        self.messageID = messageID
        self.integration = integration
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.attempt = attempt
        self.status = status
        self.durationMillis = durationMillis
        self.detail = detail.map { AuditRecord.truncate($0) }
        self.actor = actor
    }

    /// Details are cut to this many characters so one bad response cannot bloat the log. 2,000.
    public static let detailLimit = 2_000

    static func truncate(_ text: String) -> String {
        text.count <= detailLimit ? text : String(text.prefix(detailLimit)) + "…"
    }
}

/// Selects audit records. Nil fields match everything.
public struct AuditFilter: Sendable, Hashable {
    public var messageID: String?
    public var integration: String?
    public var kinds: [AuditRecord.Kind]?
    public var since: Int64?
    public var until: Int64?
    /// At most this many, newest first. Default 200.
    public var limit: Int = 200

    public init(
        messageID: String? = nil, integration: String? = nil, kinds: [AuditRecord.Kind]? = nil, since: Int64? = nil, until: Int64? = nil,
        limit: Int = 200
    ) {
        self.messageID = messageID
        self.integration = integration
        self.kinds = kinds
        self.since = since
        self.until = until
        self.limit = limit
    }
}
