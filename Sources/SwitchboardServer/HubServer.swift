import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Prometheus
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// The hub's HTTP listener: webhook endpoints, `/healthz`, `/metrics` and the management API.
public enum HubServer {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        /// Default `127.0.0.1`.
        public var host: String = "127.0.0.1"
        /// Default 8080; 0 picks a free port, reported through `onListening`.
        public var port: Int = 8080
        /// PEM certificate chain and key files to serve HTTPS with; nil (the default) serves HTTP.
        public var tls: (certificate: String, key: String)?
        /// A connection on which nothing complete arrives for this long (no request head, no
        /// part of a body) is closed. Default 30 s.
        public var idleTimeout: Duration = .seconds(30)
        /// Longest a webhook's body may take to arrive; then `408`. Default 30 s.
        public var readTimeout: Duration = .seconds(30)
        /// Most connections open at once; past it the listener stops accepting until one closes. Default 512.
        public var maxConnections: Int = 512
        /// Reverse proxies whose `X-Forwarded-For` names the client, for the sign-in throttle. Default none.
        public var trustedProxies: [String] = []

        public init(host: String = "127.0.0.1", port: Int = 8080, tls: (certificate: String, key: String)? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    /// Builds the application; it is a `Service`, run in the hub's service group.
    ///
    /// - Parameters:
    ///   - ingestor: The ingestor of the workspace running now, asked at each webhook (a reload
    ///     swaps it; a request in progress finishes with the one it started with).
    ///   - management: The backend of `/api/v1`; nil leaves the management API out.
    ///   - onListening: Called with the bound port once the listener accepts connections.
    public static func application(
        configuration: Configuration, ingestor: @escaping @Sendable () -> Ingestor, metrics: MetricsExporter, logger: Logger,
        management: (any ManagementBackend)? = nil,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router(context: HubRequestContext.self)
        router.middlewares.add(SecurityHeadersMiddleware())
        router.middlewares.add(JSONErrorMiddleware())
        if let management {
            // One throttle for both doors: a wrong token counts against its address at either.
            let throttle = SignInThrottle(logger: logger, trustedProxies: configuration.trustedProxies, now: { management.now() })
            ManagementAPI.register(on: router, backend: management, throttle: throttle)
            Dashboard(backend: management, secure: configuration.tls != nil, throttle: throttle).register(on: router)
        }
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.prometheusText())))
        }
        let readTimeout = configuration.readTimeout
        router.post("**") { request, context in
            try await WebhookEndpoint.receive(request, context: context, ingestor: ingestor(), readTimeout: readTimeout)
        }
        let http1 = HTTP1Channel.Configuration(idleTimeout: .milliseconds(configuration.idleTimeout.milliseconds))
        var server: HTTPServerBuilder = .http1(configuration: http1)
        if let tls = configuration.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
            server = try .tls(
                .http1(configuration: http1),
                tlsConfiguration: TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}

/// `POST` to an integration's webhook path.
enum WebhookEndpoint {
    static func receive(_ request: Request, context: HubRequestContext, ingestor: Ingestor, readTimeout: Duration) async throws -> Response {
        let path = request.uri.path
        guard ingestor.route(forPath: path) != nil else {
            throw JSONError(status: .notFound, code: "not_found", message: "no integration receives at \(path)")
        }
        // HTTP/1.1 reads a request without either as having no body, and the body sent anyway as
        // garbage after it: refused for its missing length rather than read as empty.
        if request.headers[.contentLength] == nil, request.headers[.transferEncoding] == nil {
            throw JSONError(
                status: .init(code: 411), code: "length_required",
                message: "the request has neither Content-Length nor Transfer-Encoding, so its body cannot be read; send Content-Length")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > ingestor.maxBodyBytes {
            throw JSONError(
                status: .contentTooLarge, code: "payload_too_large", message: "the body is larger than the limit of \(ingestor.maxBodyBytes) bytes")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(of: &request, upTo: ingestor.maxBodyBytes, within: readTimeout, on: context.eventLoop)
        } catch is NIOTooManyBytesError {
            throw JSONError(
                status: .contentTooLarge, code: "payload_too_large", message: "the body is larger than the limit of \(ingestor.maxBodyBytes) bytes")
        }
        let body = Array(buffer.readableBytesView)
        let headers = request.headers
        let query = request.uri.queryParameters
        do {
            let answer = try await ingestor.receive(
                path: path,
                header: { name in HTTPField.Name(name).flatMap { headers[$0] } },
                query: { name in query[name[...]].map(String.init) },
                body: body)
            switch answer.result {
            case .accepted(let id):
                guard answer.waited else { return json(.accepted, #"{"id":"\#(id)"}"#) }
                return try reply(answer.reply, id: id)
            case .duplicate(let id):
                return json(.ok, #"{"id":"\#(id)","duplicate":true}"#)
            }
        } catch let error as IngestError {
            throw JSONError(status: .init(code: error.status), code: error.codeName, message: error.message)
        }
    }

    /// The body, or `408` when it has not all arrived within `timeout` (a sender that trickles its
    /// body would otherwise hold its connection for as long as it likes). The deadline is a timer
    /// of the connection's event loop that cancels the read: a task that sleeps per request, with
    /// the dispatch timer under it, cost a few percent of ingest (docs/performance.md).
    static func collectBody(
        of request: inout Request, upTo limit: Int, within timeout: Duration, on eventLoop: any EventLoop
    ) async throws
        -> ByteBuffer
    {
        let body = request.body
        let reading = Task { try await body.collect(upTo: limit) }
        let expired = Expiry()
        let timer = eventLoop.scheduleTask(in: .milliseconds(timeout.milliseconds)) {
            expired.fire()
            reading.cancel()
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await reading.value
            } onCancel: {
                reading.cancel()
            }
        } catch  where expired.fired {
            throw JSONError(status: .requestTimeout, code: "request_timeout", message: "the body did not arrive within \(timeout.spoken)")
        }
    }

    /// Whether a body's deadline passed.
    final class Expiry: Sendable {
        private let state = Atomic<Bool>(false)
        func fire() { state.store(true, ordering: .releasing) }
        var fired: Bool { state.load(ordering: .acquiring) }
    }

    /// A synchronous integration's answer to its caller: the target's own status and body when it
    /// answered, with the message id and the outcome in headers; `504` when the first attempt did
    /// not end in time, `502` when the target could not be reached. The message is stored either
    /// way and goes on as the integration's delivery policy says.
    static func reply(_ reply: ReplyBoard.Reply?, id: String) throws -> Response {
        let idField = HTTPField.Name("X-Switchboard-Message-Id")!, outcomeField = HTTPField.Name("X-Switchboard-Outcome")!
        guard let reply else {
            throw JSONError(
                status: .gatewayTimeout, code: "target_timeout",
                message: "the target did not answer in time; message \(id) is stored and delivered as the integration's delivery policy says",
                headers: [idField: id])
        }
        let headers: HTTPFields = [idField: id, outcomeField: reply.outcome.rawValue]
        guard let status = reply.status else {
            if reply.outcome == .filtered {
                return json(.ok, JSONValue.object(["id": .string(id), "filtered": .bool(true), "reason": .string(reply.body)]).jsonString)
            }
            throw JSONError(
                status: .badGateway, code: "target_unreachable",
                message:
                    "the target could not be reached (\(reply.body)); message \(id) is \(reply.outcome == .dead ? "dead" : "stored and retried")",
                headers: headers)
        }
        var answer = headers
        answer[.contentType] = reply.body.first == "{" || reply.body.first == "[" ? "application/json" : "text/plain; charset=utf-8"
        return Response(status: HTTPResponse.Status(code: status), headers: answer, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
