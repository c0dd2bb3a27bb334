import Foundation
import Logging
import ServiceLifecycle
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer

/// `switchboard demo`: the quickstart workspace running end to end on one machine. It writes the
/// workspace if the folder has none, starts a sink standing in for the ERP on port 9090, runs the
/// hub, sends sample web-shop orders to it, and shows what arrives, until Ctrl-C.
public enum Demo {
    public static func run(directory: URL, logger: Logger, print: @escaping @Sendable (String) -> Void) async throws {
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("switchboard.yaml").path) {
            _ = try WorkspaceScaffold.write(to: directory)
            print("wrote the quickstart workspace to \(directory.path)")
        }
        let workspace = try Workspace.load(directory: directory, registry: .standard)
        let sink = Sink(printRequests: false)
        sink.setBehaviour { request, _ in
            print("erp received \(request.method) \(request.path) \(request.bodyText)")
            return Sink.Answer(status: 200)
        }
        // The stand-in ERP listens first, so a port that is taken ends the demo before the hub starts.
        let failed = Latch<any Error>()
        let erp = Task {
            do {
                try await Listener(
                    sink.application(port: 9090, logger: logger), host: "127.0.0.1", port: 9090,
                    remedy: "run the demo where port 9090 is free (its stand-in ERP listens there)"
                ).run()
            } catch {
                failed.set(error)
            }
        }
        defer { erp.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { _ = try await sink.port() }
            group.addTask { throw try await failed.value() }
            try await group.next()
            group.cancelAll()
        }
        let hub = try Hub(workspace: workspace, logger: logger)
        // The hub stops on Ctrl-C; the samples are sent once it listens.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await hub.run() }
            group.addTask {
                let port = try await hub.listeningPort()
                print("hub listening on http://127.0.0.1:\(port); sending sample orders (Ctrl-C stops)")
                try await sendSamples(to: port, workspace: workspace, print: print)
                print("try: switchboard messages list -w \(directory.path)")
            }
            try await group.waitForAll()
        }
    }

    static func sendSamples(to port: Int, workspace: Workspace, print: @Sendable (String) -> Void) async throws {
        guard let webhook = workspace.integration("webshop-orders")?.source.webhook,
            case .sharedKey(let header, let secret) = webhook.authentication
        else { return }
        let connector = HTTPConnector()
        let orders: [(String, String)] = [
            (
                "1001",
                #"{"id":1001,"status":"paid","created_at":"2026-11-26T10:15:00Z","payment":"invoice","customer":{"id":"C-42","first_name":"Ada","last_name":"Lovelace","email":"Ada@Example.com"},"lines":[{"sku":"SKU-1","quantity":2}]}"#
            ),
            ("1002", #"{"id":1002,"status":"pending","customer":{"id":"C-42"}}"#),
            (
                "1003",
                #"{"id":1003,"status":"paid","created_at":"2026-11-26T11:00:00Z","payment":"card","customer":{"id":"C-7","first_name":"Grace","last_name":"Hopper","email":"grace@example.com"},"lines":[]}"#
            ),
        ]
        for (key, body) in orders {
            let request = OutboundRequest(
                method: "POST", url: "http://127.0.0.1:\(port)\(webhook.path)", path: webhook.path,
                headers: [("Content-Type", "application/json"), (header, secret.value), ("Idempotency-Key", key)], body: Array(body.utf8))
            if case .response(let status, _, let answer) = await connector.send(request, timeout: .seconds(5)) {
                print("web shop sent order \(key): \(status) \(answer)")
            }
        }
        try await connector.shutdown()
    }
}

/// `switchboard sink`: a loopback receiver that prints each request.
public enum SinkRunner {
    /// Runs until cancelled. Answers `status`, after answering the first `failFirst` requests with
    /// 503; calls `onListening` with the port once it listens; throws a `ListenFailure` when it cannot.
    public static func run(port: Int, status: Int, failFirst: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let sink = Sink(printRequests: true)
        sink.setBehaviour { _, index in .init(status: index < failFirst ? 503 : status) }
        let services = ServiceGroup(
            configuration: .init(
                services: [Listener(sink.application(port: port, logger: logger), host: "127.0.0.1", port: port, remedy: "pass another --port")],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            group.addTask { onListening(try await sink.port()) }
            // The first error (the port taken) ends both, where waitForAll would wait for a port
            // that never comes.
            while try await group.next() != nil {}
        }
    }
}
