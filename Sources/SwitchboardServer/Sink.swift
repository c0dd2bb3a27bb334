import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// A loopback HTTP receiver for development, demos and tests: records every request and answers
/// as told (by default `200`). `switchboard sink` runs one; the test suite uses it as the target.
public final class Sink: Sendable {
    /// One request as the sink received it.
    public struct Received: Sendable {
        public var method: String
        public var path: String
        /// The query string, without the `?`; empty when there was none.
        public var query: String = ""
        public var headers: [String: String]
        public var body: [UInt8]
        /// Epoch milliseconds.
        public var at: Int64

        public var bodyText: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// The answer to one request.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String
        /// Wait this long before answering (a slow target).
        public var delay: Duration

        public init(status: Int = 200, headers: [String: String] = [:], body: String = #"{"ok":true}"#, delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    /// Decides the answer from the request and how many requests came before it (0-based).
    public typealias Behaviour = @Sendable (_ request: Received, _ index: Int) -> Answer

    /// Holds the behaviour by reference: a closure kept in a generic container that is mutated in
    /// place gets wrapped in one more reabstraction thunk on every write, which grew without bound
    /// under load (found by the benchmark: a stack overflow after some 10^5 requests).
    private final class BehaviourBox: Sendable {
        let call: Behaviour
        init(_ call: @escaping Behaviour) { self.call = call }
    }

    private let received_ = Mutex<[Received]>([])
    private let behaviour = Mutex(BehaviourBox { _, _ in Answer() })
    private let concurrency = Mutex<(now: Int, peak: Int)>((0, 0))
    private let listening = Latch<Int>()
    private let printRequests: Bool

    /// - Parameter printRequests: Print one line per request on standard output (for `switchboard sink`).
    public init(printRequests: Bool = false) {
        self.printRequests = printRequests
    }

    public func setBehaviour(_ behaviour: @escaping Behaviour) {
        let box = BehaviourBox(behaviour)
        self.behaviour.withLock { $0 = box }
    }

    /// Logs only critical problems (tests and benchmarks cancel sinks, which logs an error otherwise).
    public static var quietLogger: Logger {
        var logger = Logger(label: "switchboard.sink")
        logger.logLevel = .critical
        return logger
    }

    /// The most requests the sink was answering at the same moment.
    public var peakConcurrency: Int { concurrency.withLock { $0.peak } }

    /// Every request received so far, in order.
    public var received: [Received] { received_.withLock { $0 } }

    /// The port once the sink listens.
    public func port() async throws -> Int { try await listening.value() }

    /// An application serving the sink on `host:port` (0: any free port).
    public func application(host: String = "127.0.0.1", port: Int = 0, logger: Logger = Sink.quietLogger) -> some ApplicationProtocol {
        let router = Router()
        router.on("**", method: .post) { request, context in try await self.handle(request) }
        router.on("**", method: .put) { request, context in try await self.handle(request) }
        router.on("**", method: .patch) { request, context in try await self.handle(request) }
        router.on("**", method: .delete) { request, context in try await self.handle(request) }
        router.on("**", method: .get) { request, context in try await self.handle(request) }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "switchboard-sink"),
            onServerRunning: { channel in self.listening.set(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// One request as `switchboard sink` prints it: the request line and the answer's status, each
    /// header on its own line with credentials (`SecretResolver.isSensitiveHeader`) redacted, then
    /// the body. Written in one call as the request arrives, so a reader of a pipe sees it at once.
    static func printed(_ received: Received, status: Int) -> String {
        var text = "\(received.method) \(received.path)\(received.query.isEmpty ? "" : "?\(received.query)") -> \(status)\n"
        for (name, value) in received.headers.sorted(by: { $0.key < $1.key }) {
            text += "  \(name): \(SecretResolver.isSensitiveHeader(name) ? "[redacted]" : value)\n"
        }
        if !received.body.isEmpty { text += "  \(received.bodyText)\n" }
        return text
    }

    private func handle(_ request: Request) async throws -> Response {
        concurrency.withLock {
            $0.now += 1; $0.peak = max($0.peak, $0.now)
        }
        defer { concurrency.withLock { $0.now -= 1 } }
        var request = request
        let body = try await request.collectBody(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let received = Received(
            method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", headers: headers,
            body: Array(body.readableBytesView),
            at: Int64(Date().timeIntervalSince1970 * 1000))
        // The behaviour runs outside the lock, so it may read `received` (which already holds this request).
        let index = received_.withLock { list in
            list.append(received)
            return list.count - 1
        }
        let answer = behaviour.withLock { $0 }.call(received, index)
        if printRequests { FileHandle.standardOutput.write(Data(Self.printed(received, status: answer.status).utf8)) }
        if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in answer.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: answer.body)))
    }
}
