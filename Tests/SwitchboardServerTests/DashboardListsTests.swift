import AsyncHTTPClient
import Foundation
import SwitchboardEngine
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// What the person on call works with on the dashboard (issue 14): dead letters filtered and
/// acted on in bulk with a confirmation, the audit log filtered without the lease noise, payloads
/// pretty-printed, the policy in real numbers.
@Suite("Dashboard lists for the person on call")
struct DashboardListsTests {
    @Test(
        "dead letters filter by integration and error, replay in bulk with a confirmation; the audit filters by kind and actor and leaves leases out")
    func deadLettersAndAudit() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders"), HubHarness.integration("invoices")])
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            harness.sink.setBehaviour { request, _ in
                .init(status: 400, body: request.path.hasPrefix("/orders") ? "customer is unknown" : "amount is missing")
            }
            var dead: [String] = []
            for (path, n) in [("/hooks/orders", 1), ("/hooks/orders", 2), ("/hooks/invoices", 3)] {
                let id = try #require(HubHarness.id(try await harness.post(path, #"{"id": \#(n), "customer": {"name": "Ada"}}"#).body))
                #expect(try await harness.waitForState(id, .dead))
                dead.append(id)
            }
            harness.sink.setBehaviour { _, _ in .init(status: 200) }
            let (token, record) = APIToken.generate(name: "on-call", role: .operator, now: 1)
            try await harness.hub.store.insertToken(record)
            let cookie = try #require(
                try await DashboardSessionTests.send(harness, client, .POST, "/login", cookie: nil, form: "token=\(token)").cookie)

            let orders = try await DashboardSessionTests.send(harness, client, .GET, "/dead-letters?integration=orders", cookie: cookie).body
            #expect(orders.contains("2 of 2 dead letters of orders."), "\(orders)")
            #expect(orders.contains(dead[0]) && orders.contains(dead[1]) && !orders.contains(dead[2]))
            let byError = try await DashboardSessionTests.send(harness, client, .GET, "/dead-letters?error=AMOUNT", cookie: cookie).body
            #expect(byError.contains(dead[2]) && !byError.contains(dead[0]))
            let csrf = try #require(
                orders.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression).map { String(orders[$0].split(separator: "\"")[3]) })

            // Two ticked, one form: both replayed, and the page says so.
            let replay = try await DashboardSessionTests.send(
                harness, client, .POST, "/dead-letters/replay", cookie: cookie, form: "csrf=\(csrf)&id=\(dead[0])&id=\(dead[1])")
            #expect(replay.status == 303)
            let confirmed = try await DashboardSessionTests.send(harness, client, .GET, replay.location ?? "", cookie: cookie).body
            #expect(confirmed.contains("Replayed 2 messages; each will be delivered again: "), "\(confirmed)")
            #expect(try await harness.waitForState(dead[0], .delivered))
            #expect(try await harness.waitForState(dead[1], .delivered))

            let audit = try await DashboardSessionTests.send(harness, client, .GET, "/audit", cookie: cookie).body
            #expect(!audit.contains("<td>leased</td>"), "lease records are left out by default")
            #expect(audit.contains("<td>replayed</td>"))
            let withLeases = try await DashboardSessionTests.send(harness, client, .GET, "/audit?all=1", cookie: cookie).body
            #expect(withLeases.contains("<td>leased</td>"))
            let byActor = try await DashboardSessionTests.send(harness, client, .GET, "/audit?actor=on-call&kind=replayed", cookie: cookie).body
            #expect(byActor.components(separatedBy: "<td>replayed</td>").count - 1 == 2, "\(byActor)")
            #expect(!byActor.contains("<td>dead</td>"))

            // The payload is indented, and the policy says the concurrency in force, not "default".
            let message = try await DashboardSessionTests.send(harness, client, .GET, "/messages/\(dead[2])", cookie: cookie).body
            #expect(message.contains("{\n  &quot;customer&quot;: {\n    &quot;name&quot;: &quot;Ada&quot;\n  },"), "\(message)")
            let integration = try await DashboardSessionTests.send(harness, client, .GET, "/integrations/orders", cookie: cookie).body
            #expect(integration.contains("<th>concurrency</th><td>16</td>"), "\(integration)")
            #expect(!integration.contains(">default<"))
        } catch {
            Issue.record("\(error)")
        }
        try await client.shutdown()
        try await harness.stop()
    }
}
