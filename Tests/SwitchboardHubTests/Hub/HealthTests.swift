import AsyncHTTPClient
import Foundation
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine

/// Health per integration from what the hub sees, shown by the API, the dashboard and /metrics,
/// and alerted on when a target goes down, a source fails or a target throttles (issue 14).
@Suite("Health of sources and targets, shown and alerted on", .serialized)
struct HealthTests {
    static func harness(receiverPort: Int) async throws -> HubHarness {
        try await HubHarness(
            integrations: [
                HubHarness.integration("orders", delivery: "max_attempts: 100000"),
                HubHarness.integration("signed", auth: #"{ kind: hmac, header: X-Signature, secret: "${env:SHOP_KEY}" }"#),
            ],
            extra: """
                alerts:
                  - { id: on-call, on: [target_down, source_failures, throttling], notify: { kind: webhook, url: "${file:secrets/ops-url}" } }
                """,
            files: ["secrets/ops-url": "http://127.0.0.1:\(receiverPort)/ops"])
    }

    static func health(_ harness: HubHarness, _ integration: String, token: String) async throws -> JSONValue? {
        let answer = try await harness.get("/api/v1/integrations", headers: [("Authorization", "Bearer \(token)")])
        let list = (try? JSONValue(json: Array(answer.body.utf8)))?.arrayItems ?? []
        return list.first { $0["id"]?.text == integration }?["health"]
    }

    @Test("a target answering 503 is failing with the reason on the API, the dashboard and /metrics, alerted once, and alerted again when it answers")
    func targetDown() async throws {
        let receiver = Sink()
        let receiverTask = Task { try await receiver.application(port: 0).runService() }
        let harness = try await Self.harness(receiverPort: try await receiver.port())
        let (token, record) = APIToken.generate(name: "on-call", role: .viewer, now: 1)
        try await harness.hub.store.insertToken(record)
        #expect(try await Self.health(harness, "orders", token: token)?["status"]?.text == "ok")
        harness.sink.setBehaviour { _, _ in .init(status: 503, body: "maintenance") }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#, headers: [("X-Key", "shop-secret")]).body))
        #expect(await eventually { harness.sink.received.count >= 3 })
        let failing = try await eventually { try await Self.health(harness, "orders", token: token)?["status"]?.text == "failing" }
        #expect(failing)
        let reasons = try await Self.health(harness, "orders", token: token)?["reasons"]?.arrayItems.map(\.text) ?? []
        #expect(reasons.first?.hasPrefix("the target erp has failed for ") == true, "\(reasons)")
        #expect(reasons.first?.hasSuffix(": answered 503: maintenance") == true, "\(reasons)")
        #expect(
            await eventually {
                receiver.received.compactMap { try? JSONValue(json: $0.body) }.contains {
                    $0["summary"]?.text == "the target erp is down: answered 503: maintenance"
                }
            })
        #expect(
            await eventually {
                (try? await harness.get("/metrics").body.contains(#"switchboard_target_up{system="erp"} 0"#)) == true
            })
        // The connection gauges: two integrations of 16 deliveries each share erp's pool of 32.
        let metrics = try await harness.get("/metrics").body
        #expect(metrics.contains(#"switchboard_target_connection_pool_size{system="erp"} 32"#), "\(metrics)")
        #expect(metrics.contains(#"switchboard_target_requests_in_flight{system="erp"} "#))
        // The dashboard's overview says it first, above the charts.
        let page = try await DashboardPage.overview(harness, token: token)
        #expect(page.contains("Needs attention") && page.contains("the target erp has failed for"), "\(page.prefix(2_000))")
        #expect(page.range(of: "Needs attention")!.lowerBound < page.range(of: "Throughput")!.lowerBound)

        harness.sink.setBehaviour { _, _ in .init(status: 200) }
        #expect(try await harness.waitForState(id, .delivered))
        #expect(try await Self.health(harness, "orders", token: token)?["status"]?.text == "ok")
        #expect(
            await eventually {
                receiver.received.compactMap { try? JSONValue(json: $0.body) }.contains { $0["summary"]?.text == "the target erp answers again" }
            })
        let downs = receiver.received.compactMap { try? JSONValue(json: $0.body) }.filter { $0["summary"]?.text.contains("is down") == true }
        #expect(downs.count == 2, "one per integration whose target is erp: orders and signed")
        try await harness.stop()
        receiverTask.cancel()
    }

    @Test("webhook requests that fail their signature three times in a row make the source failing; a good one heals it")
    func sourceFailing() async throws {
        let receiver = Sink()
        let receiverTask = Task { try await receiver.application(port: 0).runService() }
        let harness = try await Self.harness(receiverPort: try await receiver.port())
        let (token, record) = APIToken.generate(name: "on-call", role: .viewer, now: 1)
        try await harness.hub.store.insertToken(record)
        for _ in 1...3 {
            #expect(try await harness.post("/hooks/signed", #"{"id": 1}"#, headers: [("X-Signature", "sha256=00")]).status == 401)
        }
        let health = try await Self.health(harness, "signed", token: token)
        #expect(health?["status"]?.text == "failing")
        #expect(
            health?["reasons"]?.arrayItems.first?.text.hasSuffix("webhook requests fail authentication: header X-Signature does not match") == true,
            "\(String(describing: health))")
        #expect(
            await eventually {
                receiver.received.compactMap { try? JSONValue(json: $0.body) }.contains {
                    $0["integration"]?.text == "signed" && $0["summary"]?.text.hasPrefix("the source shop fails: webhook requests fail") == true
                }
            })
        let body = #"{"id": 2}"#
        let signature = "sha256=" + InboundAuthenticator.signature(of: Array(body.utf8), secret: "shop-secret")
        #expect(try await harness.post("/hooks/signed", body, headers: [("X-Signature", signature)]).status == 202)
        #expect(try await Self.health(harness, "signed", token: token)?["status"]?.text == "ok")
        try await harness.stop()
        receiverTask.cancel()
    }

    @Test("a target's 429 with Retry-After is a warning saying how long it asked to wait, and a throttling alert")
    func throttling() async throws {
        let receiver = Sink()
        let receiverTask = Task { try await receiver.application(port: 0).runService() }
        let harness = try await Self.harness(receiverPort: try await receiver.port())
        let (token, record) = APIToken.generate(name: "on-call", role: .viewer, now: 1)
        try await harness.hub.store.insertToken(record)
        harness.sink.setBehaviour { _, _ in .init(status: 429, headers: ["Retry-After": "30"]) }
        _ = try await harness.post("/hooks/orders", #"{"id": 1}"#, headers: [("X-Key", "shop-secret")])
        #expect(await eventually { harness.sink.received.count >= 1 })
        let warned = try await eventually { try await Self.health(harness, "orders", token: token)?["status"]?.text == "warning" }
        #expect(warned)
        let reason = try await Self.health(harness, "orders", token: token)?["reasons"]?.arrayItems.first?.text ?? ""
        #expect(reason.hasPrefix("the target erp asked to wait ") && reason.hasSuffix(" more (throttled)"), "\(reason)")
        #expect(
            await eventually {
                receiver.received.compactMap { try? JSONValue(json: $0.body) }.contains {
                    $0["integration"]?.text == "orders" && $0["summary"]?.text.hasPrefix("the target erp is throttling") == true
                }
            })
        try await harness.stop()
        receiverTask.cancel()
    }

    @Test("health is assessed worst first: a failing source and target before a pause, dead letters and a late backlog")
    func assessment() {
        var down = HealthBoard.Watch()
        down.failed("connection refused by 127.0.0.1:9090", now: 1_000, threshold: 1)
        let facts = IntegrationHealth.Facts(
            source: HealthBoard.Watch(), sourceSystem: "shop", target: down, targetSystem: "erp", paused: true, deadLetters: 2,
            oldestWaitMillis: 600_000, objective: .seconds(300))
        let health = IntegrationHealth.assess(facts, now: 46_000)
        #expect(health.level == .failing)
        #expect(
            health.reasons == [
                "the target erp has failed for 45 s: connection refused by 127.0.0.1:9090", "paused: messages are stored and not delivered",
                "2 dead letters", "a message has waited 10 min, longer than the delivery-latency objective of 5 min",
            ])
        #expect(
            IntegrationHealth.assess(
                IntegrationHealth.Facts(
                    source: HealthBoard.Watch(), sourceSystem: "shop", target: HealthBoard.Watch(), targetSystem: "erp", paused: false,
                    deadLetters: 0,
                    oldestWaitMillis: nil, objective: nil), now: 0) == .ok)
    }
}

/// The dashboard's overview as a signed-in viewer sees it.
enum DashboardPage {
    static func overview(_ harness: HubHarness, token: String) async throws -> String {
        let login = try await harness.send(
            .POST, "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=\(token)")
        let cookie = login.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init) ?? ""
        return try await harness.get("/", headers: [("Cookie", cookie)]).body
    }
}
