import Foundation
import SwitchboardHub
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine

@Suite("Delivery end to end over loopback HTTP", .serialized)
struct DeliveryEndToEndTests {
    @Test("a webhook is acknowledged with an id, stored, and delivered to the target")
    func webhookToSink() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders", steps: "[{ map: { id: $.id, name: { upper: $.name } } }]")]
        )
        let answer = try await harness.post("/hooks/orders", #"{"id": 42, "name": "ada"}"#)
        #expect(answer.status == 202)
        let id = try #require(HubHarness.id(answer.body))
        #expect(try await harness.waitForState(id, .delivered))
        let received = harness.sink.received
        #expect(received.count == 1)
        #expect(received.first?.path == "/orders/42")
        #expect(received.first?.header("Authorization") == "Bearer erp-token")
        #expect(received.first?.header("X-Switchboard-Message-Id") == id)
        #expect(try JSONValue(json: received.first?.body ?? []) == .object(["id": .int(42), "name": .string("ADA")]))
        #expect(try await harness.get("/healthz").body == #"{"status":"ok"}"#)
        let metrics = try await harness.get("/metrics").body
        #expect(metrics.contains(#"switchboard_messages_delivered_total{integration="orders"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"switchboard_messages_received_total{integration="orders"} 1"#))
        try await harness.stop()
    }

    @Test("integers past 2^53 and past 64 bits reach the target digit for digit, in the path and in the body, through the queue and a map step")
    func largeIntegers() async throws {
        let harness = try await HubHarness(
            integrations: [HubHarness.integration("orders", steps: "[{ map: { id: $.id, amount: $.amount, same: $.id } }]")])
        let answer = try await harness.post("/hooks/orders", #"{"id": 123456789012345678901234567890, "amount": 9007199254740993}"#)
        let id = try #require(HubHarness.id(answer.body))
        #expect(try await harness.waitForState(id, .delivered))
        let received = try #require(harness.sink.received.first)
        #expect(received.path == "/orders/123456789012345678901234567890")
        #expect(
            String(decoding: received.body, as: UTF8.self)
                == #"{"amount":9007199254740993,"id":123456789012345678901234567890,"same":123456789012345678901234567890}"#)
        try await harness.stop()
    }

    @Test("/metrics has the stored messages by state per integration, read from the store, so dead letters show after a restart")
    func storedMessageGauges() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        harness.sink.setBehaviour { _, _ in .init(status: 400, body: "no customer") }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(try await harness.waitForState(id, .dead))
        // The gauges are refreshed every 5 s from the store.
        let shown = await eventually {
            let metrics = (try? await harness.get("/metrics").body) ?? ""
            return metrics.contains(#"switchboard_messages{integration="orders",state="dead"} 1"#)
                && metrics.contains(#"switchboard_messages{integration="orders",state="ready"} 0"#)
        }
        let metrics = (try? await harness.get("/metrics").body) ?? ""
        #expect(shown, "\(metrics)")
        try await harness.stop()
    }

    @Test("a target that fails twice and then succeeds gets the message on the third attempt")
    func retriesThenDelivers() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        harness.sink.setBehaviour { _, index in .init(status: index < 2 ? 503 : 200) }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(try await harness.waitForState(id, .delivered))
        #expect(try await harness.message(id)?.lifecycle.attempts == 3)
        #expect(harness.sink.received.count == 3)
        let attempts = try await harness.hub.store.audit(matching: AuditFilter(messageID: id)).reversed().filter(\.isAttempt).map(\.status)
        #expect(attempts == [503, 503, 200])
        try await harness.stop()
    }

    @Test("429 with Retry-After: 2 pauses every request to that system for 2 seconds")
    func retryAfterPausesTheSystem() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders"), HubHarness.integration("invoices")])
        harness.sink.setBehaviour { _, index in index == 0 ? .init(status: 429, headers: ["Retry-After": "2"]) : .init(status: 200) }
        let first = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(await eventually { harness.sink.received.count == 1 })
        // Once the 429 is recorded (the pause is set before the outcome is), the other integration sends.
        #expect(try await harness.waitForState(first, .retryWait))
        let second = try #require(HubHarness.id(try await harness.post("/hooks/invoices", #"{"id": 2}"#).body))
        #expect(try await harness.waitForState(first, .delivered))
        #expect(try await harness.waitForState(second, .delivered))
        let received = harness.sink.received
        #expect(received.count == 3)
        let throttledAt = received[0].at
        for later in received.dropFirst() {
            #expect(later.at - throttledAt >= 2_000, "a request reached the system \(later.at - throttledAt) ms after the 429")
        }
        try await harness.stop()
    }

    @Test("a 400 is dead at once; replayed after the target is fixed, it is delivered")
    func deadThenReplay() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        harness.sink.setBehaviour { _, _ in .init(status: 400, body: #"{"error":"missing field"}"#) }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(try await harness.waitForState(id, .dead))
        let dead = try #require(try await harness.message(id))
        #expect(dead.lifecycle.attempts == 1)
        #expect(dead.lastStatus == 400)
        #expect(dead.lastError == #"{"error":"missing field"}"#)
        harness.sink.setBehaviour { _, _ in .init(status: 201) }
        let replayed = try await harness.operations.replay(MessageFilter(), ids: [id], actor: "tester")
        #expect(replayed.contains(id))
        #expect(try await harness.waitForState(id, .delivered))
        #expect(harness.sink.received.count == 2)
        try await harness.stop()
    }

    @Test("attempts exhausted make a message dead with the last error")
    func attemptsExhausted() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders", delivery: "max_attempts: 3")])
        harness.sink.setBehaviour { _, _ in .init(status: 500, body: "down") }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(try await harness.waitForState(id, .dead))
        #expect(harness.sink.received.count == 3)
        #expect(try await harness.message(id)?.lastError == "attempts exhausted (3): down")
        try await harness.stop()
    }

    @Test("messages with the same ordering key arrive in order, even when the first is retried")
    func orderingUnderRetries() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders", delivery: "ordering_key: $.customer\nconcurrency: 8")])
        // The first request for each customer fails twice.
        harness.sink.setBehaviour { request, _ in
            let seq = (try? JSONValue(json: request.body))?["seq"]?.text ?? ""
            let earlier = harness.sink.received.filter { $0.path == request.path }.count - 1
            return .init(status: seq == "1" && earlier < 2 ? 503 : 200)
        }
        var ids: [String] = []
        for seq in 1...5 {
            for customer in ["a", "b"] {
                ids.append(
                    try #require(
                        HubHarness.id(
                            try await harness.post("/hooks/orders", #"{"id": "\#(customer)\#(seq)", "customer": "\#(customer)", "seq": \#(seq)}"#)
                                .body)))
            }
        }
        for id in ids { #expect(try await harness.waitForState(id, .delivered)) }
        for customer in ["a", "b"] {
            let paths = harness.sink.received.map(\.path).filter { $0.hasPrefix("/orders/\(customer)") }
            #expect(paths == ["/orders/\(customer)1", "/orders/\(customer)1", "/orders/\(customer)1"] + (2...5).map { "/orders/\(customer)\($0)" })
        }
        try await harness.stop()
    }

    @Test("a repeated idempotency key gets the first id with 200 and is not delivered again")
    func idempotency() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders", delivery: "idempotency_key: { header: Idempotency-Key }")])
        let headers = [("X-Key", "shop-secret"), ("Idempotency-Key", "order-1")]
        let first = try await harness.post("/hooks/orders", #"{"id": 1}"#, headers: headers)
        let second = try await harness.post("/hooks/orders", #"{"id": 1}"#, headers: headers)
        #expect(first.status == 202)
        #expect(second.status == 200)
        let id = try #require(HubHarness.id(first.body))
        #expect(HubHarness.id(second.body) == id)
        #expect(second.body.contains(#""duplicate":true"#))
        #expect(try await harness.waitForState(id, .delivered))
        try await Task.sleep(for: .milliseconds(100))
        #expect(harness.sink.received.count == 1)
        #expect(try await harness.hub.store.messages(matching: MessageFilter()).count == 1)
        try await harness.stop()
    }

    @Test("a filtered message is recorded as filtered and never sent")
    func filtered() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders", steps: "[{ filter: { path: $.status, equals: paid } }]")])
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1, "status": "open"}"#).body))
        #expect(try await harness.waitForState(id, .filtered))
        #expect(try await harness.message(id)?.lastError == #"step 1: filter did not match: $.status is "open", not "paid""#)
        #expect(harness.sink.received.isEmpty)
        try await harness.stop()
    }

    @Test("budgets: never more than max_concurrent requests in flight at the target")
    func concurrencyBudget() async throws {
        let harness = try await HubHarness(
            integrations: [
                HubHarness.integration("orders", delivery: "concurrency: 16"),
                HubHarness.integration("invoices", delivery: "concurrency: 16"),
            ],
            limits: "max_concurrent: 2")
        harness.sink.setBehaviour { _, _ in .init(status: 200, delay: .milliseconds(30)) }
        var ids: [String] = []
        for index in 0..<10 {
            ids.append(
                try #require(HubHarness.id(try await harness.post(index % 2 == 0 ? "/hooks/orders" : "/hooks/invoices", #"{"id": \#(index)}"#).body)))
        }
        for id in ids { #expect(try await harness.waitForState(id, .delivered)) }
        #expect(harness.sink.peakConcurrency == 2, "the budget allows 2 at once and 32 deliveries were eligible")
        try await harness.stop()
    }

    @Test("graceful shutdown lets an in-flight delivery finish")
    func gracefulShutdown() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        harness.sink.setBehaviour { _, _ in .init(status: 200, delay: .milliseconds(500)) }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(await eventually { harness.sink.received.count == 1 })
        let store = harness.hub.store
        try await harness.stop()
        #expect(try await store.message(id: id)?.state == .delivered)
    }
}
