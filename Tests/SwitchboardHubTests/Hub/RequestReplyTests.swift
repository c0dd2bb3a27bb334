import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// `pattern: sync` is request-reply (issue 16): the webhook waits for the first attempt and
/// answers with the target's answer, and the message is stored and audited like any other.
@Suite("Synchronous integrations answer with the target's answer", .serialized)
struct RequestReplyTests {
    static let quote = """
        id: quote
        title: Price quote
        pattern: sync
        sync_justification: The shop shows the price while the customer waits.
        source: { system: shop, webhook: { path: /hooks/quote, auth: { kind: header, header: X-Key, secret: "${env:SHOP_KEY}" } } }
        target: { system: erp, http: { method: POST, path: /quotes } }
        delivery: { max_attempts: 3, timeout: 3s, backoff: { initial: 20ms, max: 100ms, multiplier: 2 } }
        """

    @Test("a 201 comes back to the caller with the target's body; a 400 too, and the message is dead; a 503 comes back while the message is retried")
    func answers() async throws {
        let harness = try await HubHarness(integrations: [Self.quote])
        harness.sink.setBehaviour { request, _ in
            let body = (try? JSONValue(json: request.body)) ?? .null
            switch body["sku"]?.text {
            case "bad": return .init(status: 400, body: #"{"error":"unknown sku"}"#)
            case "busy": return .init(status: 503, body: "busy")
            default: return .init(status: 201, body: #"{"total":12.5}"#)
            }
        }
        let good = try await harness.send(
            .POST, "/hooks/quote", headers: [("X-Key", "shop-secret"), ("Content-Type", "application/json")], body: #"{"sku": "A-1"}"#)
        #expect(good.status == 201)
        #expect(good.body == #"{"total":12.5}"#)
        #expect(good.headers.first(name: "X-Switchboard-Outcome") == "delivered")
        let id = try #require(good.headers.first(name: "X-Switchboard-Message-Id"))
        #expect(try await harness.message(id)?.state == .delivered)
        let audit = try await harness.hub.store.audit(matching: AuditFilter(messageID: id))
        #expect(audit.contains { $0.kind == .delivered && $0.status == 201 })

        let bad = try await harness.send(.POST, "/hooks/quote", headers: [("X-Key", "shop-secret")], body: #"{"sku": "bad"}"#)
        #expect(bad.status == 400)
        #expect(bad.body == #"{"error":"unknown sku"}"#)
        #expect(bad.headers.first(name: "X-Switchboard-Outcome") == "dead")
        #expect(try await harness.message(try #require(bad.headers.first(name: "X-Switchboard-Message-Id")))?.state == .dead)

        let busy = try await harness.send(.POST, "/hooks/quote", headers: [("X-Key", "shop-secret")], body: #"{"sku": "busy"}"#)
        #expect(busy.status == 503)
        #expect(busy.headers.first(name: "X-Switchboard-Outcome") == "retry")
        let busyID = try #require(busy.headers.first(name: "X-Switchboard-Message-Id"))
        // The message goes on as its policy says: three attempts, then dead.
        #expect(try await harness.waitForState(busyID, .dead))
        #expect(harness.sink.received.filter { $0.bodyText.contains("busy") }.count == 3)
        try await harness.stop()
    }

    @Test("an asynchronous integration still answers 202 at once")
    func asyncUnchanged() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        let answer = try await harness.post("/hooks/orders", #"{"id": 1}"#)
        #expect(answer.status == 202)
        try await harness.stop()
    }
}
