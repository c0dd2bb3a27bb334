/// One integration, one file in `integrations/`: why it exists, where data comes from, what is done
/// to it, where it goes and how delivery behaves.
public struct Integration: Sendable {
    /// `async`: messages as they come; `sync`: request-reply, the caller waits; `batch`: a bulk
    /// load (a migration, a nightly export) of `volumes.total` records spread over `volumes.window`.
    public enum Pattern: String, Sendable, CaseIterable { case async, sync, batch }

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
    /// Why delivering a message twice is harmless although the target's operation is not
    /// idempotent by kind (`idempotent: { reason: ... }`, a pure calculation such as tax); nil:
    /// not declared.
    public var idempotentReason: String? = nil
}

/// Where an integration's messages come from: exactly one of a webhook the hub receives (push)
/// and a source of the system's kind that the hub polls.
public struct Source: Sendable {
    public var system: String
    public var webhook: WebhookTrigger?
    public var poll: PolledSource?

    public init(system: String, webhook: WebhookTrigger? = nil, poll: PolledSource? = nil) {
        self.system = system
        self.webhook = webhook
        self.poll = poll
    }
}

/// A source the hub polls: one of the system kind's `SourceSpec`s, under its key in `source`.
public struct PolledSource: Sendable {
    /// The key in `source`, such as `changes`.
    public var key: String
    public var settings: any SourceSettings

    public init(key: String, settings: any SourceSettings) {
        self.key = key
        self.settings = settings
    }
}

/// An inbound HTTP endpoint: `POST` to `path` with a JSON body.
public struct WebhookTrigger: Sendable {
    public var path: String
    public var authentication: WebhookAuthentication
    /// What the caller posts: `json` (the default: any JSON document, stored as it came) or a
    /// format a connector kind offers (`dataverse`: a Dataverse webhook's `RemoteExecutionContext`,
    /// stored as a flat document with `operation_id` as the default idempotency key).
    public var format: String = "json"
    /// Whether a body that is not a JSON object (an array, a string, a number, null) is accepted.
    /// Default false: it is answered `400` at the door, since the steps and targets read fields of
    /// an object, and such a message could only go dead (`body: any` accepts it).
    public var acceptsAnyBody: Bool = false
    /// For a format registered per table: the table the sender is registered for, and its
    /// messages (`Create`, `Update`, `Delete`); nil and empty when not said.
    public var table: String?
    public var messages: [String] = []

    public init(path: String, authentication: WebhookAuthentication, format: String = "json", acceptsAnyBody: Bool = false) {
        self.path = path
        self.authentication = authentication
        self.format = format
        self.acceptsAnyBody = acceptsAnyBody
    }
}

/// How a webhook's caller proves who it is. Secrets are compared in constant time and never logged.
public enum WebhookAuthentication: Sendable {
    /// No authentication: only for trusted networks; `check` warns about it.
    case none
    /// A shared key sent in a header, for example `X-Api-Key`.
    case sharedKey(header: String, secret: Secret)
    /// An HMAC-SHA256 of the raw body with the shared secret, hex encoded (an optional `sha256=`
    /// prefix is accepted, as GitHub sends it) or base64 encoded (Shopify, WooCommerce).
    case hmacSHA256(header: String, secret: Secret, encoding: SignatureEncoding = .hex)
    /// A key in the query string, as Dataverse webhooks send `?code=...` (WebhookKey authentication).
    case queryKey(parameter: String, secret: Secret)
    /// Stripe's timestamped signature: the header holds `t=UNIX_SECONDS,v1=HEX[,v1=HEX...]`, each
    /// `v1` a hex HMAC-SHA256 of `t.` followed by the raw body; a timestamp more than `tolerance`
    /// from the hub's clock is refused, so a captured request cannot be replayed later.
    case timestampedHMAC(header: String, secret: Secret, tolerance: Duration)
}

/// How a webhook's HMAC signature is written in its header.
public enum SignatureEncoding: String, Sendable, CaseIterable {
    case hex, base64
}

/// Where an integration's messages go: a system, and what its kind's connector does with each
/// message (`target.KIND`, read by the kind's reader).
public struct Target: Sendable {
    public var system: String
    /// The system's connector kind.
    public var kind: String
    public var settings: any TargetSettings

    public init(system: String, kind: String, settings: any TargetSettings) {
        self.system = system
        self.kind = kind
        self.settings = settings
    }
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
    /// Messages of this integration in flight at once. Nil: the target kind's default (16; for a
    /// kind that writes in batches, eight batches' worth, so that batches fill up).
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
    /// For `pattern: batch`: the records of one run.
    public var total: Int? = nil
    /// For `pattern: batch`: how long a run is spread over. Default 24 h.
    public var window: Duration? = nil
    /// For `pattern: batch`: how often it runs. Default `once`.
    public var runs: Runs = .once

    public enum Runs: String, Sendable, Hashable, CaseIterable {
        case once, daily, weekly, monthly

        /// Runs in a month of 30 days; 0 for a one-off load.
        public var perMonth: Double {
            switch self {
            case .once: 0
            case .daily: 30
            case .weekly: 30.0 / 7
            case .monthly: 1
            }
        }
    }

    public init(perDay: Int? = nil, peakPerMinute: Int? = nil, payloadBytes: Int? = nil) {
        self.perDay = perDay
        self.peakPerMinute = peakPerMinute
        self.payloadBytes = payloadBytes
    }
}

/// Service level objectives.
public struct ServiceLevel: Sendable, Hashable {
    /// Time from acceptance to delivery that most messages should meet.
    public var deliveryLatency: Duration?
}
