import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardServer
import SwitchboardTesting

/// A real hub on loopback with a real sink as its target, in a fresh workspace with a real SQLite file.
public final class HubHarness: Sendable {
    public let directory: TemporaryDirectory
    public let sink: Sink
    public let hub: Hub
    public let port: Int
    private let sinkTask: Task<Void, any Error>
    private let hubTask: Task<Void, any Error>

    public static let variables = ["SHOP_KEY": "shop-secret", "ERP_TOKEN": "erp-token"]

    /// A landscape with a `shop` source and an `erp` target at the sink; `limits` is YAML for erp's limits.
    public static func landscape(sinkPort: Int, limits: String, server: String, extra: String = "") -> String {
        """
        version: 1
        environments: [test]
        server: { host: 127.0.0.1, port: 0\(server) }
        systems:
          - { id: shop, kind: http, location: cloud }
          - id: erp
            kind: http
            location: on-premises
            connections:
              test:
                base_url: http://127.0.0.1:\(sinkPort)
                headers: { Authorization: "Bearer ${env:ERP_TOKEN}" }
            limits: { \(limits) }
        \(extra)
        """
    }

    /// An integration receiving at /hooks/ID with a shared key and posting to /ID/{$.id}.
    public static func integration(
        _ id: String, delivery: String = "", auth: String = #"{ kind: header, header: X-Key, secret: "${env:SHOP_KEY}" }"#,
        steps: String = "[]"
    ) -> String {
        """
        id: \(id)
        title: \(id)
        source:
          system: shop
          webhook: { path: /hooks/\(id), auth: \(auth) }
        steps: \(steps)
        target:
          system: erp
          http: { method: POST, path: "/\(id)/{$.id}" }
        delivery:
          backoff: { initial: 20ms, max: 100ms, multiplier: 2 }
          timeout: 3s
        \(delivery.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        """
    }

    /// - Parameter extra: Appended to switchboard.yaml (alerts, principles).
    public init(
        integrations: [String], limits: String = "", server: String = "", extra: String = "", grace: Duration = .seconds(5),
        files: [String: String] = [:]
    ) async throws {
        directory = try TemporaryDirectory()
        sink = Sink()
        let sink = self.sink
        sinkTask = Task { try await sink.application(port: 0).runService() }
        let sinkPort = try await sink.port()
        try directory.write("switchboard.yaml", Self.landscape(sinkPort: sinkPort, limits: limits, server: server, extra: extra))
        for (path, contents) in files { try directory.write(path, contents) }
        for (index, integration) in integrations.enumerated() { try directory.write("integrations/\(index).yaml", integration) }
        let workspace = try Workspace.load(directory: directory.url, registry: .standard, variables: Self.variables)
        var dispatcher = DispatcherConfiguration()
        dispatcher.pollInterval = .milliseconds(20)
        dispatcher.shutdownGrace = grace
        var logger = Logger(label: "test-hub")
        logger.logLevel = .critical
        var options = HubOptions(dispatcher: dispatcher, handleSignals: false)
        options.alertInterval = .milliseconds(100)
        let url = directory.url
        let hub = try Hub(
            workspace: workspace, options: options, logger: logger,
            load: { try Workspace.load(directory: url, registry: .standard, variables: Self.variables) })
        self.hub = hub
        hubTask = Task { try await hub.run() }
        port = try await hub.listeningPort()
    }

    public var operations: Operations { Operations(store: hub.store) }

    /// POSTs `body` to the hub; returns the status and body text.
    public func post(
        _ path: String, _ body: String, headers: [(String, String)] = [("X-Key", "shop-secret")]
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), text)
    }

    public func get(_ path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        let answer = try await send(.GET, path, headers: headers)
        return (answer.status, answer.body)
    }

    /// A client that does not follow redirects, so a test sees the dashboard's `303` and its cookie.
    /// Shared for the process's life, as `HTTPClient.shared` is.
    static let direct = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// Any request to the hub, redirects not followed: the status, the body text and the answer's headers.
    public func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await Self.direct.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 22)), response.headers)
    }

    /// The id in a `{"id": ...}` answer.
    public static func id(_ body: String) -> String? {
        (try? JSONValue(json: Array(body.utf8)))?["id"].map(\.text)
    }

    public func message(_ id: String) async throws -> Message? { try await hub.store.message(id: id) }

    public func waitForState(_ id: String, _ state: MessageState, seconds: Double = 10) async throws -> Bool {
        try await eventually(seconds) { try await self.message(id)?.state == state }
    }

    public func stop() async throws {
        await hub.shutdown()
        try await hubTask.value
        sinkTask.cancel()
        _ = try? await sinkTask.value
        directory.remove()
    }
}
