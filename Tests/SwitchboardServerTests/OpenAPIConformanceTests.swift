import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// The management API held to its own OpenAPI document by schemathesis (from PyPI; `scripts/test`
/// installs it), a schema-based tester that sends valid and invalid requests, undeclared methods
/// and missing credentials, and checks every answer's status, content type and schema.
@Suite("The OpenAPI document matches the API")
struct OpenAPIConformanceTests {
    @Test("schemathesis with every check finds nothing in a bounded run against a hub with messages, dead letters and audit records")
    func schemathesis() async throws {
        let installed = try Binary.runTool("/usr/bin/env", ["st", "--version"])
        try #require(installed.status == 0, "schemathesis is missing: python3 -m pip install schemathesis==4.32.5")
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders"), HubHarness.integration("invoices")])
        harness.sink.setBehaviour { request, _ in .init(status: request.path.hasSuffix("/2") ? 400 : 200, body: "answer") }
        for id in 1...3 {
            let answer = try await harness.post("/hooks/orders", #"{"id": \#(id)}"#)
            let messageID = try #require(HubHarness.id(answer.body))
            #expect(try await harness.waitForState(messageID, id == 2 ? .dead : .delivered))
        }
        let (token, record) = APIToken.generate(name: "schemathesis", role: .admin, now: 1)
        try await harness.hub.store.insertToken(record)
        let run = try Binary.runTool(
            "/usr/bin/env",
            [
                "st", "run", "http://127.0.0.1:\(harness.port)/api/v1/openapi.json", "-H", "Authorization: Bearer \(token)", "--checks", "all",
                "--max-time", "20", "--workers", "1", "--no-color",
            ], timeout: .seconds(120))
        #expect(run.status == 0, "\(run.output.suffix(6_000))\(run.error.suffix(2_000))")
        #expect(run.output.contains(" passed"), "\(run.output.suffix(2_000))")
        try await harness.stop()
    }
}
