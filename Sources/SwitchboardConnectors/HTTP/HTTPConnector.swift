import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SwitchboardEngine
import SwitchboardModel

/// Delivers messages to one HTTP system over HTTP or HTTPS with AsyncHTTPClient, one request per
/// message built from the integration's `HTTPRequestTemplate`; it also sends ready-made requests
/// (`RequestSender`) for alerts and the emulator's webhooks. One attempt per call: retries and
/// classification are the engine's; every request goes through the system's budget.
///
/// Guarantee: reports `.timeout` when no complete answer arrives within the timeout, and
/// `.connectionFailed` when the target could not be reached (at once when it refuses, else after
/// the connection's `connect_timeout`) or the connection broke, so the engine retries; the target
/// may have processed a request that ends either way (at-least-once). A header value the client
/// refuses to send is `.unsendable`: dead at once, with the reason.
public final class HTTPConnector: Connector, RequestSender {
    private let client: HTTPClient
    private let connection: HTTPConnectionSettings?
    private let budget: SystemBudget?
    private let connectTimeout: Duration
    /// Response bodies are read up to this many bytes for the audit log. Default 4 KiB.
    public let maxRecordedBody: Int

    /// Makes a connector with its own client; call `shutdown()` when done with it.
    ///
    /// - Parameters:
    ///   - connection: The system's base URL and headers; nil for a sender of ready-made requests.
    ///   - budget: Taken once per request; nil: none.
    ///   - maxConnectionsPerHost: Connections kept open to one host. Default 16.
    ///   - maxRecordedBody: Bytes of a response kept for the audit log. Default 4 KiB.
    public init(connection: HTTPConnectionSettings? = nil, budget: SystemBudget? = nil, maxConnectionsPerHost: Int = 16, maxRecordedBody: Int = 4096)
    {
        self.connectTimeout = connection?.connectTimeout ?? OutboundClient.defaultConnectTimeout
        self.client = OutboundClient.make(maxConnectionsPerHost: maxConnectionsPerHost, connectTimeout: connectTimeout)
        self.connectionPoolSize = maxConnectionsPerHost
        self.connection = connection
        self.budget = budget
        self.maxRecordedBody = maxRecordedBody
    }

    public let connectionPoolSize: Int?

    /// Closes the connections. No request may be sent after it.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// The request a delivery is sent as: the template rendered against the message and the connection.
    static func request(for delivery: Delivery, connection: HTTPConnectionSettings?) throws(StepError) -> OutboundRequest {
        guard let template = delivery.target as? HTTPRequestTemplate else { throw StepError("the integration's target is not an HTTP request") }
        return try RequestRenderer(template: template, baseURL: connection?.baseURL ?? "", connectionHeaders: connection?.headers ?? [:])
            .render(delivery.document, messageID: delivery.messageID)
    }

    public func send(_ delivery: Delivery, timeout: Duration) async -> TransportOutcome {
        await attempt(delivery, timeout: timeout).outcome
    }

    public func attempt(_ delivery: Delivery, timeout: Duration) async -> Attempt {
        var request: OutboundRequest
        do { request = try Self.request(for: delivery, connection: connection) } catch { return Attempt(.unsendable(error.message)) }
        if let traceparent = delivery.traceparent { request.headers.append(("traceparent", traceparent)) }
        guard let budget else { return Attempt(await send(request, timeout: timeout), sent: request) }
        do {
            return Attempt(try await budget.metered { (await self.send(request, timeout: timeout), []) }, sent: request)
        } catch {
            return Attempt(.connectionFailed("shutting down before the request was sent"), sent: request)
        }
    }

    public func send(_ request: OutboundRequest, timeout: Duration) async -> TransportOutcome {
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outbound.headers.add(name: name, value: value) }
        if !request.body.isEmpty { outbound.body = .bytes(ByteBuffer(bytes: request.body)) }
        do {
            let response = try await client.execute(outbound, timeout: .milliseconds(timeout.milliseconds))
            var body = ""
            var collected = 0
            for try await chunk in response.body {
                if collected < maxRecordedBody {
                    let take = min(chunk.readableBytes, maxRecordedBody - collected)
                    body += chunk.getString(at: chunk.readerIndex, length: take) ?? ""
                    collected += take
                }
            }
            return .response(status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), body: body)
        } catch {
            return OutboundClient.outcome(of: error, url: request.url, connectTimeout: connectTimeout)
        }
    }
}
