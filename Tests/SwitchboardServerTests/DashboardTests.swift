import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// The dashboard in a real headless Chromium driven by Selenium (Debian's chromium, chromium-driver
/// and python3-selenium; `.ci/run` installs them).
@Suite("Dashboard in a real browser")
struct DashboardTests {
    @Test("sign in with a token, read the overview, replay a dead letter; the audit names the dashboard user")
    func signInAndReplay() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "apt-get install -y chromium-driver python3-selenium")
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        harness.sink.setBehaviour { _, _ in .init(status: 400, body: "no customer") }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(try await harness.waitForState(id, .dead))
        harness.sink.setBehaviour { _, _ in .init(status: 200) }
        let (token, record) = APIToken.generate(name: "on-call", role: .operator, now: 1)
        try await harness.hub.store.insertToken(record)
        let shots = try TemporaryDirectory()
        defer { shots.remove() }
        let script = Repository.root.appendingPathComponent("Tests/browser/dashboard_check.py").path
        let run = try await Binary.runTool("/usr/bin/python3", [script, "http://127.0.0.1:\(harness.port)", token, id, shots.path])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.hasSuffix("done\n"), "\(run.output)")
        #expect(try await harness.waitForState(id, .delivered))
        let audit = try await harness.hub.store.audit(matching: AuditFilter(messageID: id, kinds: [.replayed]))
        #expect(audit.first?.actor == "token \(record.id) (on-call) on the dashboard")
        for page in ["overview", "dead-letters", "message"] {
            let png = (try? Data(contentsOf: shots.url.appendingPathComponent("\(page).png"))) ?? Data()
            #expect(png.count > 10_000, "no screenshot of \(page)")
        }
        // SB_SCREENSHOTS=DIR keeps the screenshots for a person to look at.
        if let keep = ProcessInfo.processInfo.environment["SB_SCREENSHOTS"] {
            for page in ["overview", "dead-letters", "message"] {
                try? FileManager.default.removeItem(atPath: "\(keep)/\(page).png")
                try? FileManager.default.copyItem(atPath: shots.url.appendingPathComponent("\(page).png").path, toPath: "\(keep)/\(page).png")
            }
        }
        try await harness.stop()
    }
}
