import Foundation
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Alerts to Teams, Slack and webhooks")
struct AlertTests {
    @Test("a dead letter and failed attempts are posted to the alert's webhook as Teams and generic JSON; an integration not covered is not")
    func deadLettersAndErrors() async throws {
        let receiver = Sink()
        let receiverTask = Task { try await receiver.application(port: 0).runService() }
        let receiverPort = try await receiver.port()
        let harness = try await HubHarness(
            integrations: [HubHarness.integration("orders"), HubHarness.integration("invoices", delivery: "max_attempts: 2")],
            server: #", public_url: "https://hub.example.com/""#,
            extra: """
                alerts:
                  - { id: on-call, on: [dead_letters], integrations: [orders], notify: { kind: teams, url: "${file:secrets/teams-url}" } }
                  - { id: ops-feed, on: [dead_letters, errors], notify: { kind: webhook, url: "${file:secrets/ops-url}" } }
                """,
            files: ["secrets/teams-url": "http://127.0.0.1:\(receiverPort)/teams", "secrets/ops-url": "http://127.0.0.1:\(receiverPort)/ops"])
        harness.sink.setBehaviour { request, _ in
            request.path.hasPrefix("/orders") ? .init(status: 400, body: "order 1 has no customer") : .init(status: 503)
        }
        let order = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        let invoice = try #require(HubHarness.id(try await harness.post("/hooks/invoices", #"{"id": 2}"#).body))
        #expect(try await harness.waitForState(order, .dead))
        #expect(try await harness.waitForState(invoice, .dead))
        #expect(
            await eventually {
                let bodies = receiver.received.compactMap { try? JSONValue(json: $0.body) }
                return bodies.contains { $0["integration"]?.text == "invoices" && $0["dead_letters"]?.text == "1" }
            })
        let teams = receiver.received.filter { $0.path == "/teams" }.compactMap { try? JSONValue(json: $0.body) }
        #expect(teams.count == 1, "only orders is covered by the Teams rule")
        // A Workflows webhook's message with an Adaptive Card, linking to the dashboard.
        #expect(teams.first?["type"]?.text == "message")
        let attachment = teams.first?["attachments"]?.arrayItems.first
        #expect(attachment?["contentType"]?.text == "application/vnd.microsoft.card.adaptive")
        let card = attachment?["content"]
        #expect(card?["type"]?.text == "AdaptiveCard" && card?["version"]?.text == "1.4")
        let texts = card?["body"]?.arrayItems.compactMap { $0["text"]?.text } ?? []
        #expect(texts.first == "Switchboard: orders: 1 message went to the dead letters")
        #expect(texts.contains { $0.contains("order 1 has no customer") }, "\(texts)")
        #expect(texts.contains { $0.contains("[\(order)](https://hub.example.com/messages/\(order))") }, "\(texts)")
        #expect(card?["actions"]?.arrayItems.first?["url"]?.text == "https://hub.example.com/integrations/orders")
        let ops = receiver.received.filter { $0.path == "/ops" }.compactMap { try? JSONValue(json: $0.body) }
        #expect(ops.contains { $0["integration"]?.text == "orders" && $0["messages"]?.arrayItems.map(\.text) == [order] })
        // invoices: attempt 1 failed (retried), attempt 2 dead; the two may be reported in one look or two.
        let invoices = ops.filter { $0["integration"]?.text == "invoices" }
        #expect(invoices.map { Int($0["failed_attempts"]?.text ?? "") ?? 0 }.reduce(0, +) == 1)
        #expect(invoices.map { Int($0["dead_letters"]?.text ?? "") ?? 0 }.reduce(0, +) == 1)
        // Each event is sent once: later looks at the audit log find nothing new.
        let count = receiver.received.count
        try await Task.sleep(for: .milliseconds(400))
        #expect(receiver.received.count == count)
        try await harness.stop()
        receiverTask.cancel()
    }

    @Test("a backlog rule reports an integration whose messages wait longer than its delivery-latency objective, once until it clears")
    func backlog() async throws {
        let receiver = Sink()
        let receiverTask = Task { try await receiver.application(port: 0).runService() }
        let receiverPort = try await receiver.port()
        let harness = try await HubHarness(
            integrations: [
                HubHarness.integration("orders") + "\nslo: { delivery_latency: 1s }\n"
            ],
            extra: """
                alerts:
                  - { id: late, on: [backlog], notify: { kind: webhook, url: "${file:secrets/url}" } }
                """,
            files: ["secrets/url": "http://127.0.0.1:\(receiverPort)/late"])
        // The target takes 10 s to answer: the message, in flight, waits past its 1 s objective.
        harness.sink.setBehaviour { _, _ in .init(status: 200, delay: .seconds(10)) }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(
            await eventually(15) {
                receiver.received.contains { (try? JSONValue(json: $0.body))?["backlog"]?.text == "1" }
            })
        let alert = try #require(receiver.received.compactMap { try? JSONValue(json: $0.body) }.first)
        #expect(alert["summary"]?.text == "1 message has waited longer than the delivery-latency objective of 1 s")
        #expect(alert["messages"]?.arrayItems.map(\.text) == [id])
        #expect(alert["alert"]?.text == "late")
        // Later looks find the same backlog: not reported again.
        try await Task.sleep(for: .milliseconds(600))
        #expect(receiver.received.count == 1)
        try await harness.stop()
        receiverTask.cancel()
    }
}
