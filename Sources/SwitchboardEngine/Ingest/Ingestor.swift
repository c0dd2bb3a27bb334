import Foundation
import Logging
import SwitchboardModel

/// Accepts inbound messages: authenticates, validates, derives keys and stores them durably
/// before the caller is answered.
///
/// Guarantee: a call that returns has committed the message (or found its idempotency key inside
/// the window); a call that throws has stored nothing.
public final class Ingestor: Sendable {
    private let routes: [String: Route]
    /// Decoders of the webhook formats the routes use, by name; `json` needs none.
    private let formats: [String: WebhookFormat]
    private let committer: GroupCommitter<NewMessage, EnqueueResult>
    private let clock: any WallClock
    private let onAccepted: @Sendable () -> Void
    private let metrics: HubMetrics
    private let logger: Logger
    private let health: StoreHealth
    /// Told each authentication's outcome, so a source whose sender has the wrong secret is known.
    private let board: HealthBoard
    /// Largest accepted body in bytes.
    public let maxBodyBytes: Int
    /// A span per webhook received; default none.
    private let tracing: MessageTracing
    /// Where a synchronous integration's caller waits for its message's first outcome.
    private let replies: ReplyBoard

    /// - Parameters:
    ///   - formats: The decoders of the webhook formats besides `json`, by name (a connector
    ///     kind's, such as Dataverse's `RemoteExecutionContext`).
    ///   - health: Told of every write's outcome; default one of its own.
    public init(
        routes: [Route], formats: [String: WebhookFormat] = [:], store: any MessageStore, clock: any WallClock, maxBodyBytes: Int,
        metrics: HubMetrics, logger: Logger, health: StoreHealth? = nil, board: HealthBoard = HealthBoard(),
        tracing: MessageTracing = .off, replies: ReplyBoard = ReplyBoard(), onAccepted: @escaping @Sendable () -> Void
    ) {
        self.tracing = tracing
        self.replies = replies
        self.health = health ?? StoreHealth(clock: clock, logger: logger)
        self.board = board
        self.formats = formats
        self.routes = Dictionary(
            routes.compactMap { route in route.integration.source.webhook.map { ($0.path, route) } }, uniquingKeysWith: { first, _ in first })
        self.committer = GroupCommitter { messages in try await store.enqueue(messages) }
        self.clock = clock
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
        self.logger = logger
        self.onAccepted = onAccepted
    }

    public func route(forPath path: String) -> Route? { routes[path] }

    /// What a webhook call came to: the message stored (or a duplicate's id) and, for a
    /// synchronous integration, the first attempt's outcome; nil when it did not come within
    /// the integration's `delivery.timeout` (and 5 s to claim it).
    public struct Answer: Sendable {
        public var result: EnqueueResult
        public var reply: ReplyBoard.Reply?
        /// True when the integration is synchronous, so the caller waited.
        public var waited: Bool
    }

    /// Accepts one webhook call and, for a synchronous integration, waits for its message's
    /// first attempt (request-reply). Throws only `IngestError`.
    public func receive(path: String, header: (String) -> String?, query: (String) -> String?, body: [UInt8]) async throws -> Answer {
        guard let route = routes[path], route.integration.pattern == .sync else {
            return Answer(result: try await accept(path: path, header: header, query: query, body: body), reply: nil, waited: false)
        }
        let id = MessageID.make(now: clock.now())
        replies.register(id)
        let result: EnqueueResult
        do {
            result = try await accept(path: path, header: header, query: query, body: body, id: id)
        } catch {
            replies.forget(id)
            throw error
        }
        guard case .accepted = result else {
            replies.forget(id)
            return Answer(result: result, reply: nil, waited: false)
        }
        return Answer(result: result, reply: await replies.reply(to: id, within: route.policy.timeout + .seconds(5)), waited: true)
    }

    /// Accepts one webhook call. `header` and `query` look values up by name (headers case-insensitively).
    /// Throws only `IngestError`.
    public func accept(
        path: String, header: (String) -> String?, query: (String) -> String?, body: [UInt8], id: String? = nil
    ) async throws -> EnqueueResult {
        guard let route = routes[path], let webhook = route.integration.source.webhook else { throw IngestError.notFound(path) }
        let sent = MessageTracing.validTraceparent(header("traceparent"))
        guard let span = tracing.start("receive \(route.id)", kind: .server, traceparent: sent) else {
            return try await receive(route, webhook, header: header, query: query, body: body, traceparent: sent, id: id)
        }
        defer { span.end() }
        span.describe(message: nil, integration: route.id, system: route.integration.source.system)
        do {
            let result = try await receive(
                route, webhook, header: header, query: query, body: body, traceparent: tracing.traceparent(of: span), id: id)
            switch result {
            case .accepted(let id): span.describe(message: id, integration: route.id, system: route.integration.source.system)
            case .duplicate(let id):
                span.describe(message: id, integration: route.id, system: route.integration.source.system)
                span.updateAttributes { $0["switchboard.duplicate"] = true }
            }
            return result
        } catch {
            span.fail((error as? IngestError).map { "\($0)" } ?? "\(error)")
            throw error
        }
    }

    private func receive(
        _ route: Route, _ webhook: WebhookTrigger, header: (String) -> String?, query: (String) -> String?, body: [UInt8], traceparent: String?,
        id: String?
    ) async throws -> EnqueueResult {
        if let failure = InboundAuthenticator.check(webhook.authentication, header: header, query: query, body: body, now: clock.now()) {
            metrics.rejected(route.id, reason: "unauthorized")
            switch failure {
            case .missing(let what): throw IngestError.unauthorized("authentication is required: \(what) is missing")
            case .wrong(let what):
                // A wrong signature, unlike a missing one (a scanner), is a sender with the wrong secret.
                board.sourceFailed(route.id, "webhook requests fail authentication: \(what) does not match", now: clock.now())
                throw IngestError.unauthorized("authentication failed: \(what) does not match")
            case .stale(let sentence):
                board.sourceFailed(route.id, "webhook requests fail authentication: \(sentence)", now: clock.now())
                throw IngestError.unauthorized("authentication failed: \(sentence)")
            }
        }
        board.sourceSucceeded(route.id)
        guard body.count <= maxBodyBytes else {
            metrics.rejected(route.id, reason: "too_large")
            throw IngestError.payloadTooLarge(limit: maxBodyBytes)
        }
        var document: JSONValue
        do {
            document = try JSONValue(json: body)
        } catch {
            metrics.rejected(route.id, reason: "invalid_json")
            throw IngestError.invalidJSON(Self.describe(error))
        }
        let isObject = if case .object = document { true } else { false }
        if !webhook.acceptsAnyBody, !isObject {
            metrics.rejected(route.id, reason: "invalid_payload")
            throw IngestError.invalidPayload(
                "the body must be a JSON object, not \(document.kindName); set source.webhook.body: any to accept it")
        }
        var payload = body
        let format = webhook.format == "json" ? nil : formats[webhook.format]
        if let format {
            do {
                document = try format.decode(document)
            } catch {
                metrics.rejected(route.id, reason: "invalid_payload")
                throw error
            }
            payload = document.serialized()
        }
        let policy = route.policy
        var idempotencyKey: String?
        // A format may name where its sender's retries repeat an id (a Dataverse webhook's operation): the default key.
        let keySource = policy.idempotencyKey ?? format?.defaultIdempotencyKey.map { IdempotencyKeySource.path($0) }
        switch keySource {
        case .header(let name)?: idempotencyKey = header(name)
        case .path(let path)?:
            guard let value = path.value(in: document), value != .null else {
                throw IngestError.missingKey("the idempotency key \(path) is missing from the body")
            }
            idempotencyKey = value.text
        case nil: break
        }
        let orderingKey = policy.orderingKey.flatMap { $0.value(in: document) }.map(\.text)
        let now = clock.now()
        let message = NewMessage(
            id: id ?? MessageID.make(now: now), integration: route.id, payload: payload, orderingKey: orderingKey,
            idempotencyKey: idempotencyKey, idempotencyWindowMillis: policy.idempotencyWindow.milliseconds, receivedAt: now,
            traceparent: traceparent)
        do {
            let result = try await committer.submit(message)
            health.accepted()
            switch result {
            case .accepted:
                metrics.received(route.id)
                onAccepted()
            case .duplicate:
                metrics.duplicate(route.id)
            }
            return result
        } catch {
            if error is CancellationError { throw IngestError.unavailable }
            health.refused("storing a webhook of \(route.id)", error: error)
            throw health.lastError.map(IngestError.storeRefused) ?? .unavailable
        }
    }

    /// The parser's complaint in one line without Swift type names.
    static func describe(_ error: any Error) -> String {
        (error as? JSONValue.ParseError)?.description ?? "it cannot be parsed"
    }
}
