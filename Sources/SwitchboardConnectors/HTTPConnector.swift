import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SwitchboardEngine

/// Delivers outbound requests over HTTP and HTTPS with AsyncHTTPClient. One attempt per call:
/// retries, budgets and classification are the engine's.
///
/// Guarantee: reports `.timeout` when no complete answer arrives within the timeout, and
/// `.connectionFailed` when the target could not be reached or the connection broke, so the
/// engine retries; the target may have processed a request that ends either way (at-least-once).
public final class HTTPConnector: Connector {
    private let client: HTTPClient
    /// Response bodies are read up to this many bytes for the audit log. Default 4 KiB.
    public let maxRecordedBody: Int

    /// Makes a connector with its own client; call `shutdown()` when done with it.
    ///
    /// - Parameters:
    ///   - maxConnectionsPerHost: Connections kept open to one host. Default 16.
    ///   - maxRecordedBody: Bytes of a response kept for the audit log. Default 4 KiB.
    public init(maxConnectionsPerHost: Int = 16, maxRecordedBody: Int = 4096) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerHost
        // The hub does not trace yet; a span per delivery was measurable overhead for nothing.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maxRecordedBody = maxRecordedBody
    }

    /// Closes the connections. No request may be sent after it.
    public func shutdown() async throws {
        try await client.shutdown()
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
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return .timeout
        } catch {
            return .connectionFailed(Self.describe(error))
        }
    }

    /// The error in words, without Swift type names.
    static func describe(_ error: any Error) -> String {
        if error is CancellationError { return "cancelled" }
        if let error = error as? HTTPClientError { return "HTTP client: \(error.shortDescription)" }
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) : text
    }
}
