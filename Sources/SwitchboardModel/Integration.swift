/// One integration, one file in `integrations/`: why it exists, where data comes from, what is done
/// to it, where it goes and how delivery behaves.
public struct Integration: Sendable {
    public enum Pattern: String, Sendable, CaseIterable { case async, sync }

    public var id: String
    public var title: String
    /// The business goal in words.
    public var goal: String?
    public var benefits: [String]
    /// Ids of organisation goals declared in `switchboard.yaml`.
    public var alignsWith: [String]
    public var owner: String?
    public var stakeholders: [String]
    /// Default `.async`.
    public var pattern: Pattern
    /// Why this integration must be synchronous (`pattern: sync`), in words.
    public var syncJustification: String?
    /// How it crosses between cloud and on-premises systems (a gateway, a relay, a VPN), in words.
    public var boundaryCrossing: String?
    /// The design decision; nil when not recorded.
    public var design: DesignDecision?
    public var source: Source
    public var steps: [StepDefinition]
    public var target: Target
    public var delivery: DeliveryPolicy
    public var volumes: Volumes?
    public var slo: ServiceLevel?
    public var tests: [IntegrationTestCase]
    /// The file this integration was read from, relative to the workspace.
    public var file: String
}

/// Where an integration's messages come from: exactly one of a webhook the hub receives and a
/// Dataverse table whose changes the hub polls.
public struct Source: Sendable {
    public var system: String
    public var webhook: WebhookTrigger?
    public var changes: ChangeTrackingTrigger?

    public init(system: String, webhook: WebhookTrigger? = nil, changes: ChangeTrackingTrigger? = nil) {
        self.system = system
        self.webhook = webhook
        self.changes = changes
    }
}

/// A Dataverse table read through change tracking: the hub follows the table's `@odata.deltaLink`
/// and turns every created or updated record into an `Upsert` message and every deleted one into
/// a `Delete` message.
/// https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
public struct ChangeTrackingTrigger: Sendable {
    /// The table's entity set name, for example `accounts`.
    public var table: String
    /// Columns read (`$select`). Default: all.
    public var select: [String]
    /// Time between polls once the hub has caught up. Default 10 s.
    public var interval: Duration = .seconds(10)
    /// Whether the first poll turns every existing record into a message. Default true; false
    /// starts from the table as it is and sends only later changes.
    public var initialLoad: Bool = true

    public init(table: String, select: [String] = [], interval: Duration = .seconds(10), initialLoad: Bool = true) {
        self.table = table
        self.select = select
        self.interval = interval
        self.initialLoad = initialLoad
    }
}

/// An inbound HTTP endpoint: `POST` to `path` with a JSON body.
public struct WebhookTrigger: Sendable {
    public var path: String
    public var authentication: WebhookAuthentication
    /// What the caller posts. Default `json`: any JSON document, stored as it came.
    public var format: Format = .json

    public enum Format: String, Sendable, CaseIterable {
        case json
        /// A Dataverse webhook's `RemoteExecutionContext`, stored as a flat document (see
        /// docs/workspace.md) with `operation_id` as the default idempotency key.
        case dataverse
    }

    public init(path: String, authentication: WebhookAuthentication, format: Format = .json) {
        self.path = path
        self.authentication = authentication
        self.format = format
    }
}

/// How a webhook's caller proves who it is. Secrets are compared in constant time and never logged.
public enum WebhookAuthentication: Sendable {
    /// No authentication: only for trusted networks; `check` warns about it.
    case none
    /// A shared key sent in a header, for example `X-Api-Key`.
    case sharedKey(header: String, secret: Secret)
    /// An HMAC-SHA256 of the raw body with the shared secret, hex encoded (an optional `sha256=` prefix is accepted).
    case hmacSHA256(header: String, secret: Secret)
    /// A key in the query string, as Dataverse webhooks send `?code=...` (WebhookKey authentication).
    case queryKey(parameter: String, secret: Secret)
}

/// Where an integration's messages go. Version 1 knows HTTP requests.
public struct Target: Sendable {
    public var system: String
    public var write: Write

    /// What the target does with each message.
    public enum Write: Sendable {
        /// An HTTP request built from the message.
        case http(HTTPRequestTemplate)
        /// A record written to a Dataverse table.
        case dataverse(DataverseWrite)
    }

    public init(system: String, write: Write) {
        self.system = system
        self.write = write
    }

    public init(system: String, request: HTTPRequestTemplate) {
        self.init(system: system, write: .http(request))
    }
}

/// Writes each message as one record of a Dataverse table: the document after the steps is the
/// record's columns (lookups as `x@odata.bind`).
public struct DataverseWrite: Sendable {
    public enum Operation: String, Sendable, CaseIterable {
        /// Create or update by key (the default: a repeated delivery is harmless).
        case upsert
        case create
        /// Update only (`If-Match: *`); a missing record is an error.
        case update
        case delete
    }

    /// The table's entity set name, for example `salesorders`.
    public var table: String
    /// Default upsert.
    public var operation: Operation
    /// Key columns and where each value is read: an alternate key, or the primary id alone.
    public var key: [(column: String, path: JSONPath)]
    /// What is sent as the record. Default `$`.
    public var body: JSONPath

    public init(table: String, operation: Operation = .upsert, key: [(column: String, path: JSONPath)], body: JSONPath = JSONPath("$")!) {
        self.table = table
        self.operation = operation
        self.key = key
        self.body = body
    }
}

/// An outbound HTTP request built from the message: `{$.path}` placeholders in the path and header
/// values are replaced by values from the (mapped) message.
public struct HTTPRequestTemplate: Sendable {
    /// Default `POST`.
    public var method: String
    /// Appended to the system's base URL, for example `/api/orders/{$.order_id}`.
    public var path: String
    public var headers: [String: String]
    /// What is sent as the body. Default `$`: the whole document after the steps.
    public var body: JSONPath?
}

/// The delivery policy of one integration.
public struct DeliveryPolicy: Sendable {
    /// Attempts before a message goes to the dead letters. Default 10.
    public var maxAttempts: Int = 10
    public var backoff: Backoff = Backoff()
    /// Time allowed for one attempt. Default 30 s.
    public var timeout: Duration = .seconds(30)
    /// Messages with the same value at this path are delivered one at a time, in arrival order.
    public var orderingKey: JSONPath?
    /// Where the idempotency key is read: a header or a path in the body.
    public var idempotencyKey: IdempotencyKeySource?
    /// How long an idempotency key is remembered. Default 24 h.
    public var idempotencyWindow: Duration = .seconds(86_400)
    /// Messages of this integration in flight at once. Nil: 16, or, for a Dataverse target that
    /// writes in batches, eight batches' worth (`batch_size` × 8), so that batches fill up.
    public var concurrency: Int?

    public init() {}
}

/// Exponential backoff with full jitter: attempt n waits a random time in [0, min(max, initial * multiplier^(n-1))].
public struct Backoff: Sendable, Hashable {
    public enum Jitter: String, Sendable, CaseIterable { case full, none }
    /// Default 1 s.
    public var initial: Duration = .seconds(1)
    /// Default 5 min.
    public var maximum: Duration = .seconds(300)
    /// Default 2.
    public var multiplier: Double = 2
    /// Default `.full`.
    public var jitter: Jitter = .full

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(300), multiplier: Double = 2, jitter: Jitter = .full) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }
}

public enum IdempotencyKeySource: Sendable, Hashable {
    case header(String)
    case path(JSONPath)
}

/// Expected traffic, used by `plan` and `check`.
public struct Volumes: Sendable, Hashable {
    public var perDay: Int?
    public var peakPerMinute: Int?
    public var payloadBytes: Int?
}

/// Service level objectives.
public struct ServiceLevel: Sendable, Hashable {
    /// Time from acceptance to delivery that most messages should meet.
    public var deliveryLatency: Duration?
}
