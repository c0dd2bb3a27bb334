import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import SwitchboardTesting
import Testing

@Suite("The HTTP connector's failures")
struct HTTPConnectorFailureTests {
    @Test("a header value with CR, LF or NUL from the message is dead at once with the reason, and nothing is sent")
    func forbiddenHeaderCharacters() async throws {
        let sink = Sink()
        let task = Task { try await sink.application(port: 0).runService() }
        defer { task.cancel() }
        let connector = HTTPConnector(connection: HTTPConnectionSettings(baseURL: "http://127.0.0.1:\(try await sink.port())"))
        for note in ["first\r\nX-Injected: yes", "nul\u{0}byte", "line\nfeed"] {
            let delivery = Delivery(
                messageID: "M1", integration: "orders", document: .object(["id": .int(1), "note": .string(note)]),
                target: HTTPRequestTemplate(method: "PUT", path: "/orders/{$.id}", headers: ["X-Note": "{$.note}"], body: JSONPath("$")))
            let outcome = await connector.send(delivery, timeout: .seconds(10))
            guard case .unsendable(let reason) = outcome else {
                Issue.record("expected the request to be refused before sending, got \(outcome)")
                continue
            }
            #expect(reason == "a header value holds a character HTTP forbids (CR, LF or NUL), so the request cannot be sent")
            #expect(OutcomeClassifier.classify(outcome, now: 0) == .permanent)
        }
        #expect(sink.received.isEmpty)
        try await connector.shutdown()
    }
}
