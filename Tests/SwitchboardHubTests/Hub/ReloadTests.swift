import Foundation
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine

/// Reloading the workspace without a restart (issue 14): a clean workspace is swapped in with no
/// message refused or lost, a replay uses the fixed mapping, a broken one changes nothing and
/// says every problem.
@Suite("Reload without a restart", .serialized)
struct ReloadTests {
    static func integration(_ map: String) -> String {
        HubHarness.integration("orders", delivery: "max_attempts: 1", steps: "[{ map: { \(map) } }]")
    }

    @Test("POST /api/v1/reload swaps in a fixed mapping: a dead letter replayed is delivered with it, and the revision changes")
    func reloadFixesMapping() async throws {
        let harness = try await HubHarness(integrations: [Self.integration("id: $.id, name: $.nmae")])
        let (admin, record) = APIToken.generate(name: "platform team", role: .admin, now: 1)
        try await harness.hub.store.insertToken(record)
        let auth = [("Authorization", "Bearer \(admin)")]
        // The target refuses an order without a name.
        harness.sink.setBehaviour { request, _ in
            (try? JSONValue(json: request.body))?["name"] == nil ? .init(status: 400, body: "name is required") : .init(status: 200)
        }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 7, "name": "Ada"}"#).body))
        #expect(try await harness.waitForState(id, .dead))
        let before = try JSONValue(json: Array(try await harness.get("/api/v1/workspace", headers: auth).body.utf8))

        try harness.directory.write("integrations/0.yaml", Self.integration("id: $.id, name: $.name"))
        let reload = try await harness.send(.POST, "/api/v1/reload", headers: auth)
        #expect(reload.status == 200, "\(reload.body)")
        let answer = try JSONValue(json: Array(reload.body.utf8))
        #expect(answer["previous"] == before["revision"])
        #expect(answer["revision"]?["revision"] != before["revision"])
        #expect(
            try JSONValue(json: Array(try await harness.get("/api/v1/workspace", headers: auth).body.utf8))["revision"]
                == answer["revision"]?["revision"])

        // Webhooks are taken as before, and the replay runs the new mapping.
        #expect(try await harness.post("/hooks/orders", #"{"id": 8, "name": "Grace"}"#).status == 202)
        let replay = try await harness.send(.POST, "/api/v1/dead-letters/replay", headers: auth, body: #"{"ids": ["\#(id)"]}"#)
        #expect(replay.status == 200)
        #expect(try await harness.waitForState(id, .delivered))
        // The new webhook is delivered on its own time, not necessarily before the replay.
        let sink = harness.sink
        @Sendable func bodies() -> [JSONValue] { sink.received.compactMap { try? JSONValue(json: $0.body) } }
        #expect(await eventually { bodies().contains(.object(["id": .int(8), "name": .string("Grace")])) }, "\(bodies())")
        #expect(bodies().contains(.object(["id": .int(7), "name": .string("Ada")])), "\(bodies())")

        // `messages show` says which revision made each attempt, what it sent and what came back.
        let shown = try await harness.operations.showMessage(id: id, json: false)
        let first = try #require(before["revision"]?.text)
        let second = try #require(answer["revision"]?["revision"]?.text)
        let url = "http://127.0.0.1:\(try await harness.sink.port())/orders/7"
        #expect(shown.contains("attempt 1  status 400"), "\(shown)")
        #expect(shown.contains("revision \(first)\n      request  POST \(url)\n"), "\(shown)")
        #expect(shown.contains("Authorization: [redacted]") && !shown.contains("erp-token"), "\(shown)")
        #expect(shown.contains("\n               {\"id\":7}\n      response 400 name is required"), "\(shown)")
        #expect(shown.contains("revision \(second)\n      request  POST \(url)\n"), "\(shown)")
        #expect(shown.contains(#"{"id":7,"name":"Ada"}"#), "\(shown)")
        let detail = try JSONValue(json: Array(try await harness.get("/api/v1/messages/\(id)", headers: auth).body.utf8))
        let attempts = (detail["history"]?.arrayItems ?? []).filter { $0["duration_ms"] != nil }
        #expect(attempts.map { $0["revision"]?.text } == [first, second], "oldest first")
        #expect(attempts.allSatisfy { $0["request"]?.text.hasPrefix("POST \(url)\n") == true })
        try await harness.stop()
    }

    @Test("with store.audit_requests: failures, a failed attempt keeps its request and a delivered one does not")
    func requestsOfFailuresOnly() async throws {
        let harness = try await HubHarness(
            integrations: [HubHarness.integration("orders", delivery: "max_attempts: 3")], extra: "store: { audit_requests: failures }")
        harness.sink.setBehaviour { _, index in index == 0 ? .init(status: 503, body: "maintenance") : .init(status: 200) }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 5, "secret_note": "x"}"#).body))
        #expect(try await harness.waitForState(id, .delivered))
        let records = try await harness.hub.store.audit(matching: AuditFilter(messageID: id)).filter(\.isAttempt)
        #expect(records.map(\.kind) == [.delivered, .retry])
        #expect(records[0].request == nil)
        #expect(records[1].request?.hasPrefix("POST http://127.0.0.1:") == true)
        #expect(records.allSatisfy { $0.revision == harness.hub.revision.id })
        let shown = try await harness.operations.showMessage(id: id, json: false)
        #expect(shown.contains("request  (not kept: store.audit_requests)"), "\(shown)")
        try await harness.stop()
    }

    @Test("a reload of a broken workspace is 422 with every problem as file:line:column, and the hub runs what it ran")
    func brokenWorkspace() async throws {
        let harness = try await HubHarness(integrations: [Self.integration("id: $.id")])
        let (admin, record) = APIToken.generate(name: "platform team", role: .admin, now: 1)
        try await harness.hub.store.insertToken(record)
        let (viewer, viewerRecord) = APIToken.generate(name: "someone", role: .viewer, now: 1)
        try await harness.hub.store.insertToken(viewerRecord)
        let revision = harness.hub.revision
        try harness.directory.write("integrations/0.yaml", Self.integration("id: $.id") + "\nsurprise: true\n")
        try harness.directory.write("integrations/1.yaml", "id: [unclosed\n")
        #expect(try await harness.send(.POST, "/api/v1/reload", headers: [("Authorization", "Bearer \(viewer)")]).status == 403)
        let reload = try await harness.send(.POST, "/api/v1/reload", headers: [("Authorization", "Bearer \(admin)")])
        #expect(reload.status == 422)
        let error = try JSONValue(json: Array(reload.body.utf8))["error"]
        #expect(error?["code"]?.text == "invalid_workspace")
        #expect(error?["message"]?.text.hasSuffix("the hub runs revision \(revision.id) as before") == true, "\(reload.body)")
        let problems = error?["problems"]?.arrayItems.map(\.text) ?? []
        #expect(problems.contains { $0.hasPrefix("integrations/0.yaml:") && $0.contains("surprise") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("integrations/1.yaml:") && $0.contains("not valid YAML") }, "\(problems)")
        #expect(harness.hub.revision == revision)
        // Still taking and delivering with the old workspace.
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 9}"#).body))
        #expect(try await harness.waitForState(id, .delivered))
        try await harness.stop()
    }

    @Test("messages in flight during a reload are delivered once, and none is refused")
    func reloadUnderTraffic() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders", delivery: "max_attempts: 5")])
        // Slow answers, so deliveries are in flight when the runtime is swapped.
        harness.sink.setBehaviour { _, _ in .init(status: 200, delay: .milliseconds(50)) }
        var ids: [String] = []
        for round in 0..<3 {
            for number in 0..<20 {
                let answer = try await harness.post("/hooks/orders", #"{"id": \#(round * 100 + number)}"#)
                #expect(answer.status == 202)
                ids.append(HubHarness.id(answer.body) ?? "")
            }
            let reloaded = await harness.hub.reload(actor: "test")
            #expect(reloaded.problems.isEmpty, "\(reloaded.problems)")
        }
        let all = ids
        #expect(try await eventually { try await all.asyncMap { try await harness.message($0)?.state }.allSatisfy { $0 == .delivered } })
        let paths = harness.sink.received.map(\.path)
        #expect(paths.count == Set(paths).count, "a message was delivered twice")
        #expect(Set(paths).count == 60)
        try await harness.stop()
    }
}
