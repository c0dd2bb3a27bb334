import SwitchboardModel

/// One message handed to a connector: the document after the steps, the message's identity and
/// the integration's typed target settings. The connector builds its own request from it.
public struct Delivery: Sendable {
    public var messageID: String
    public var integration: String
    /// The ordering key's value, when the integration names one.
    public var orderingKey: String?
    /// This attempt's number, from 1.
    public var attempt: Int
    /// The message after the steps.
    public var document: JSONValue
    /// What the target does with it, as the target kind's reader made it.
    public var target: any TargetSettings
    /// The W3C trace context the connector sends as the `traceparent` header; nil: none.
    public var traceparent: String?

    public init(messageID: String, integration: String, orderingKey: String? = nil, attempt: Int = 1, document: JSONValue, target: any TargetSettings)
    {
        self.messageID = messageID
        self.integration = integration
        self.orderingKey = orderingKey
        self.attempt = attempt
        self.document = document
        self.target = target
    }
}

/// What came back from one attempt, before the engine classifies it.
public enum TransportOutcome: Sendable, Hashable {
    /// The target answered. `retryAfter` is the raw `Retry-After` header, when present.
    case response(status: Int, retryAfter: String?, body: String)
    /// No answer in time.
    case timeout
    /// No connection, or it broke: the target may never have seen the request.
    case connectionFailed(String)
    /// The target answered with an error its connector knows passes (a race, a busy server, a
    /// deadlock, one of several identities paused), whatever the status says: retried like a
    /// 5xx, not before `retryAfter` when given; unlike a `response`'s, that wait does not pause
    /// the whole system.
    case transient(status: Int, retryAfter: String?, body: String)
    /// The target answered with an error its connector knows is permanent, whatever the status
    /// says (Finance & Operations reports a failed validation as a `500`): dead-lettered with the body.
    case refused(status: Int, body: String)
    /// The connector could not build a request from the message (a key with no value, a body
    /// that is not an object): nothing was sent, and retrying cannot help.
    case unsendable(String)
}

extension TransportOutcome {
    /// The raw `Retry-After` of an answer (`response` or `transient`); nil without one.
    public var retryAfter: String? {
        switch self {
        case .response(_, let retryAfter, _), .transient(_, let retryAfter, _): retryAfter
        case .timeout, .connectionFailed, .unsendable, .refused: nil
        }
    }
}

/// One attempt as the audit log keeps it: what came back and, when the connector says, the
/// request it sent (the engine decides whether to keep it: `store.audit_requests`).
public struct Attempt: Sendable {
    public var outcome: TransportOutcome
    /// Makes the request as built for this delivery, before sign-in headers, when the engine
    /// keeps it (built on demand, so an attempt whose request is not kept costs nothing); nil
    /// when the connector does not say or built none (`unsendable`). Inside a batch: the
    /// delivery's own part, as it would be sent alone.
    public var request: (@Sendable () -> OutboundRequest)?

    public init(_ outcome: TransportOutcome, request: (@Sendable () -> OutboundRequest)? = nil) {
        self.outcome = outcome
        self.request = request
    }

    public init(_ outcome: TransportOutcome, sent request: OutboundRequest) {
        self.init(outcome, request: { request })
    }
}

/// How a connector that carries several messages in one request wants them gathered: the
/// engine's `BatchingConnector` holds each delivery up to `wait` for others, up to `size`.
public struct BatchingPolicy: Sendable, Hashable {
    /// Most deliveries in one request.
    public var size: Int
    /// Longest a delivery waits for others.
    public var wait: Duration

    public init(size: Int, wait: Duration) {
        self.size = size
        self.wait = wait
    }
}

/// Delivers messages to one system. A connector makes one attempt per call and reports what
/// happened; retries and classification are the engine's (`OutcomeClassifier`), gathering is
/// the engine's (`BatchingConnector`), and the system's budget is counted per request by
/// `SystemBudget.metered`, which a connector calls around every request it sends.
public protocol Connector: Sendable {
    /// One attempt to deliver one message.
    func send(_ delivery: Delivery, timeout: Duration) async -> TransportOutcome

    /// Set when the connector can carry several messages in one request; then the engine gathers
    /// deliveries and calls `send(batch:timeout:)`. Default nil.
    var batching: BatchingPolicy? { get }

    /// One attempt to deliver several messages in one request; an outcome per delivery, in order.
    /// Default: each sent alone.
    func send(batch: [Delivery], timeout: Duration) async -> [TransportOutcome]

    /// One attempt to deliver one message, with the request it sent. Default: `send` without
    /// the request.
    func attempt(_ delivery: Delivery, timeout: Duration) async -> Attempt

    /// One attempt to deliver several messages in one request, each with its own part. Default:
    /// `send(batch:)` without the requests.
    func attempt(batch: [Delivery], timeout: Duration) async -> [Attempt]

    /// Connections the connector keeps open to its system at most, for the pool gauge; nil when
    /// it does not say. Default nil.
    var connectionPoolSize: Int? { get }

    /// Closes connections; nothing may be sent after it. Default nothing.
    func shutdown() async throws
}

extension Connector {
    public var batching: BatchingPolicy? { nil }

    public func send(batch: [Delivery], timeout: Duration) async -> [TransportOutcome] {
        var outcomes: [TransportOutcome] = []
        for delivery in batch { outcomes.append(await send(delivery, timeout: timeout)) }
        return outcomes
    }

    public func attempt(_ delivery: Delivery, timeout: Duration) async -> Attempt {
        Attempt(await send(delivery, timeout: timeout))
    }

    public func attempt(batch: [Delivery], timeout: Duration) async -> [Attempt] {
        await send(batch: batch, timeout: timeout).map { Attempt($0) }
    }

    public var connectionPoolSize: Int? { nil }

    public func shutdown() async throws {}
}

/// Sends a ready-made HTTP request (alerts, the emulator's webhooks, the demo's orders).
public protocol RequestSender: Sendable {
    func send(_ request: OutboundRequest, timeout: Duration) async -> TransportOutcome
}
