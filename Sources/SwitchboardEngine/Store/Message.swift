import Foundation

/// A message as the store keeps it: the payload stays bytes until a step decodes it.
public struct Message: Sendable, Hashable {
    /// Public id returned to the source, sortable by arrival time (see `MessageID`).
    public var id: String
    public var integration: String
    /// Arrival order across the store; ordering keys are kept by it.
    public var sequence: Int64
    public var lifecycle: MessageLifecycle
    public var payload: [UInt8]
    public var orderingKey: String?
    public var idempotencyKey: String?
    /// Epoch milliseconds when the source was acknowledged.
    public var receivedAt: Int64
    public var updatedAt: Int64
    /// The token of the current lease; a completion must present it.
    public var leaseToken: String?
    /// Who holds the lease: a node's delivery loop (`NODE`, or `NODE#N` for a reload's); nil
    /// unless leased.
    public var leaseOwner: String?
    /// The last failure, truncated, for people reading `messages show` and `dlq list`.
    public var lastError: String?
    public var lastStatus: Int?
    /// The W3C trace context its attempts continue; nil: none.
    public var traceparent: String?

    public var state: MessageState { lifecycle.state }

    public init(
        id: String, integration: String, sequence: Int64, lifecycle: MessageLifecycle, payload: [UInt8], orderingKey: String?,
        idempotencyKey: String?, receivedAt: Int64, updatedAt: Int64, leaseToken: String?, lastError: String?, lastStatus: Int?,
        traceparent: String? = nil, leaseOwner: String? = nil
    ) {
        self.traceparent = traceparent
        self.leaseOwner = leaseOwner
        self.id = id
        self.integration = integration
        self.sequence = sequence
        self.lifecycle = lifecycle
        self.payload = payload
        self.orderingKey = orderingKey
        self.idempotencyKey = idempotencyKey
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt
        self.leaseToken = leaseToken
        self.lastError = lastError
        self.lastStatus = lastStatus
    }
}

/// A message accepted from a source, not yet stored.
public struct NewMessage: Sendable {
    public var id: String
    public var integration: String
    public var payload: [UInt8]
    public var orderingKey: String?
    public var idempotencyKey: String?
    /// How long the idempotency key suppresses duplicates, in milliseconds.
    public var idempotencyWindowMillis: Int64
    public var receivedAt: Int64
    /// The W3C trace context its attempts continue (`MessageTracing`); nil: none.
    public var traceparent: String?

    public init(
        id: String, integration: String, payload: [UInt8], orderingKey: String? = nil, idempotencyKey: String? = nil,
        idempotencyWindowMillis: Int64 = 86_400_000, receivedAt: Int64, traceparent: String? = nil
    ) {
        self.traceparent = traceparent
        self.id = id
        self.integration = integration
        self.payload = payload
        self.orderingKey = orderingKey
        self.idempotencyKey = idempotencyKey
        self.idempotencyWindowMillis = idempotencyWindowMillis
        self.receivedAt = receivedAt
    }
}

/// What `enqueue` did with a message.
public enum EnqueueResult: Sendable, Hashable {
    /// Stored (durably, per the store's durability setting) under this id.
    case accepted(id: String)
    /// Its idempotency key was seen inside the window: nothing stored; the first message's id.
    case duplicate(ofID: String)

    public var id: String {
        switch self {
        case .accepted(let id), .duplicate(let id): id
        }
    }
}

/// Selects messages for listing, replay and discard. Nil fields match everything.
public struct MessageFilter: Sendable, Hashable {
    public var integration: String?
    public var states: [MessageState]?
    /// Received at or after, epoch ms.
    public var since: Int64?
    /// Received before, epoch ms.
    public var until: Int64?
    /// At most this many, newest first. Default 100.
    public var limit: Int = 100

    public init(integration: String? = nil, states: [MessageState]? = nil, since: Int64? = nil, until: Int64? = nil, limit: Int = 100) {
        self.integration = integration
        self.states = states
        self.since = since
        self.until = until
        self.limit = limit
    }
}
