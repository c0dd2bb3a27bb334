import Foundation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import SwitchboardConnectors
import SwitchboardSQLite
import SwitchboardServer
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine
@testable import SwitchboardModel

@Suite("Dispatcher graceful shutdown", .serialized)
struct DispatcherShutdownTests {
    struct Setup {
        let directory: TemporaryDirectory
        let store: SQLiteMessageStore
        let sink: Sink
        let sinkTask: Task<Void, any Error>
        let connector: HTTPConnector
        let dispatcher: Dispatcher

        init(answerDelay: Duration, grace: Duration) async throws {
            directory = try TemporaryDirectory()
            store = try SQLiteMessageStore(path: directory.url.appendingPathComponent("state.sqlite").path)
            sink = Sink()
            sink.setBehaviour { _, _ in .init(status: 200, delay: answerDelay) }
            let sink = self.sink
            sinkTask = Task { try await sink.application(port: 0).runService() }
            let port = try await sink.port()
            var integration = Integration(
                id: "orders", title: "Orders", goal: nil, benefits: [], alignsWith: [], owner: nil, stakeholders: [], pattern: .async,
                source: Source(system: "shop", webhook: WebhookTrigger(path: "/hooks/orders", authentication: .none)), steps: [],
                target: Target(
                    system: "erp", kind: "http", settings: HTTPRequestTemplate(method: "POST", path: "/orders", headers: [:], body: JSONPath("$"))),
                delivery: DeliveryPolicy(), volumes: nil, slo: nil, tests: [], file: "integrations/orders.yaml")
            integration.delivery.timeout = .seconds(5)
            let route = Route(integration: integration)
            var configuration = DispatcherConfiguration()
            configuration.pollInterval = .milliseconds(10)
            configuration.shutdownGrace = grace
            connector = HTTPConnector(connection: HTTPConnectionSettings(baseURL: "http://127.0.0.1:\(port)"))
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            dispatcher = Dispatcher(
                store: store, routes: [route], connectors: ["erp": connector], budgets: [:], clock: SystemClock(),
                configuration: configuration, metrics: HubMetrics(factory: MetricsExporter().factory), logger: logger)
        }

        func enqueue() async throws -> String {
            let id = MessageID.make(now: SystemClock().now())
            _ = try await store.enqueue([NewMessage(id: id, integration: "orders", payload: Array(#"{"n":1}"#.utf8), receivedAt: SystemClock().now())]
            )
            dispatcher.wakeUp()
            return id
        }

        func tearDown() async throws {
            try await connector.shutdown()
            sinkTask.cancel()
            directory.remove()
        }
    }

    /// Runs the dispatcher, enqueues one message, starts a graceful shutdown once the sink has the
    /// request in hand, and returns the message's id after the dispatcher has stopped.
    func shutDownDuringDelivery(_ setup: Setup) async throws -> String {
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await setup.dispatcher.run() }
                let id = try await setup.enqueue()
                #expect(await eventually { setup.sink.received.count == 1 })
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
                return id
            }
        }
    }

    @Test("a delivery in flight when shutdown starts finishes within the grace")
    func finishesInFlight() async throws {
        let setup = try await Setup(answerDelay: .milliseconds(300), grace: .seconds(5))
        let id = try await shutDownDuringDelivery(setup)
        #expect(try await setup.store.message(id: id)?.state == .delivered)
        #expect(setup.dispatcher.lastShutdown.map { ($0.inFlight, $0.finished, $0.interrupted) } ?? (0, 0, 0) == (1, 1, 0))
        try await setup.tearDown()
    }

    @Test("a delivery still running when the grace ends is recorded as an interrupted attempt and released, not failed nor 'unattempted'")
    func releasesAfterGrace() async throws {
        let setup = try await Setup(answerDelay: .seconds(3), grace: .milliseconds(100))
        let id = try await shutDownDuringDelivery(setup)
        let message = try #require(try await setup.store.message(id: id))
        #expect(message.state == .ready)
        // The target had the request: it counts as an attempt.
        #expect(message.lifecycle.attempts == 1)
        let released = try await setup.store.audit(matching: AuditFilter(messageID: id, kinds: [.released]))
        #expect(released.count == 1)
        #expect(released.first?.attempt == 1)
        #expect(released.first?.detail?.hasPrefix("attempt interrupted when the shutdown's grace ended (the target may have received it)") == true)
        #expect(released.allSatisfy { $0.detail?.contains("unattempted") == false })
        let report = try #require(setup.dispatcher.lastShutdown)
        #expect(report.inFlight == 1 && report.finished == 0 && report.interrupted == 1 && report.releasedUnattempted == 0)
        try await setup.tearDown()
    }
}
