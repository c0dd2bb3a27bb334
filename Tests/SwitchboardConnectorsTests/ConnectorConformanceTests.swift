import DataverseEmulatorCore
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// The HTTP and Dataverse connectors against `ConnectorConformance`, each over real HTTP on loopback.
@Suite("Connectors: ConnectorConformance")
struct ConnectorConformanceTests {
    /// The HTTP connector against a loopback sink that answers as told; the connection carries a credential header.
    final class HTTPFixture: ConnectorFixture {
        let sink = Sink()
        let task: Task<Void, any Error>
        let secrets = ["Bearer s3cr3t-http-token"]

        init() {
            let sink = self.sink
            task = Task { try await sink.application(port: 0).runService() }
        }

        func connector(answering answer: ConnectorConformance.Answer) async throws -> any Connector {
            sink.setBehaviour { _, _ in
                switch answer {
                case .success: .init(status: 200)
                case .unavailable: .init(status: 503, body: #"{"error":"busy"}"#)
                case .refused: .init(status: 400, body: #"{"error":"order has no lines"}"#)
                case .slow(let delay): .init(status: 200, delay: delay)
                case .throttled(let seconds): .init(status: 429, headers: ["Retry-After": String(seconds)], body: #"{"error":"slow down"}"#)
                case .closed: .init(status: 200)
                }
            }
            let port = answer == .closed ? 1 : try await sink.port()
            return HTTPConnector(connection: HTTPConnectionSettings(baseURL: "http://127.0.0.1:\(port)", headers: ["Authorization": secrets[0]]))
        }

        func delivery(_ number: Int) -> Delivery {
            Delivery(
                messageID: "M\(number)", integration: "orders", document: .object(["order": .int(Int64(number))]),
                target: HTTPRequestTemplate(method: "PUT", path: "/orders/{$.order}", headers: [:], body: JSONPath("$")))
        }

        func tearDown() async { task.cancel() }
    }

    /// The Dataverse connector against the emulator over HTTPS, writing in batches of 5, signed
    /// in as `app-1` (whose secret must never show).
    final class DataverseFixture: ConnectorFixture {
        let secrets = ["secret-1"]
        let harnesses = Locked<[EmulatorHarness]>([])

        func connector(answering answer: ConnectorConformance.Answer) async throws -> any Connector {
            if answer == .closed {
                let settings = DataverseConnectionSettings(
                    environmentURL: "https://127.0.0.1:1", authority: "https://127.0.0.1:1", tenant: "switchboard", clientID: "app-1",
                    clientSecret: "secret-1")
                return try DataverseConnector(environmentURL: "https://127.0.0.1:1", settings: settings)
            }
            let harness: EmulatorHarness
            switch answer {
            case .success, .refused, .closed: harness = try await EmulatorHarness()
            case .unavailable: harness = try await EmulatorHarness(faults: FaultInjection(failureRate: 1))
            case .slow(let delay): harness = try await EmulatorHarness(faults: FaultInjection(spikeRate: 1, spikeMillis: Double(delay.milliseconds)))
            case .throttled(let seconds):
                harness = try await EmulatorHarness(limits: .init(maxRequests: 1, windowMillis: Int64(seconds) * 1_000))
                // The user's one request of the window, so that the connector's is throttled.
                _ = try await harness.send("GET", "accounts", token: try await harness.token())
            }
            harnesses.withLock { $0.append(harness) }
            var settings = DataverseConnectionSettings(
                environmentURL: harness.origin, authority: harness.origin, tenant: "switchboard", clientID: "app-1",
                clientSecret: "secret-1", caFile: harness.folder.url.appendingPathComponent("tls/ca.pem").path)
            settings.batchSize = 5
            return Refusing(inner: try DataverseConnector(environmentURL: harness.origin, settings: settings), refuse: answer == .refused)
        }

        func delivery(_ number: Int) -> Delivery {
            Delivery(
                messageID: "M\(number)", integration: "orders",
                document: .object(["ordernumber": .string("SO-\(number)"), "name": .string("Order \(number)")]),
                target: DataverseWrite(table: "salesorders", key: [("ordernumber", JSONPath("$.ordernumber")!)]))
        }

        func tearDown() async {
            for harness in harnesses.withLock({ $0 }) { try? await harness.stop() }
        }
    }

    /// Sends each delivery with a column the table does not have, which the service refuses with a 400.
    struct Refusing: Connector {
        let inner: any Connector
        let refuse: Bool

        var batching: BatchingPolicy? { inner.batching }
        func send(_ delivery: Delivery, timeout: Duration) async -> TransportOutcome { await inner.send(altered(delivery), timeout: timeout) }
        func send(batch: [Delivery], timeout: Duration) async -> [TransportOutcome] { await inner.send(batch: batch.map(altered), timeout: timeout) }
        func shutdown() async throws { try await inner.shutdown() }

        func altered(_ delivery: Delivery) -> Delivery {
            guard refuse else { return delivery }
            var changed = delivery
            changed.document = .object(["ordernumber": .string("SO-x"), "no_such_column": .int(1)])
            return changed
        }
    }

    @Test("HTTP", arguments: ConnectorConformance.Check.allCases)
    func http(_ check: ConnectorConformance.Check) async throws {
        let fixture = HTTPFixture()
        try await ConnectorConformance.run(check, on: fixture)
        await fixture.tearDown()
    }

    @Test("Dataverse", arguments: ConnectorConformance.Check.allCases)
    func dataverse(_ check: ConnectorConformance.Check) async throws {
        let fixture = DataverseFixture()
        try await ConnectorConformance.run(check, on: fixture)
        await fixture.tearDown()
    }
}
