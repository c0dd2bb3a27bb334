import Foundation
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// Durations no number can hold, through the real binary: a sentence and exit 1, never a crash.
@Suite("Hostile input to the binary")
struct HostileInputProcessTests {
    @Test("a workspace with shutdown_grace: inf and idempotency_window: 9223372036854775807 gets a sentence for each")
    func workspaceDurations() async throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            server: { shutdown_grace: inf }
            systems:
              - { id: shop, kind: http, location: cloud }
              - { id: erp, kind: http, location: cloud, connections: { default: { base_url: "http://127.0.0.1:1" } } }
            """)
        try directory.write(
            "integrations/a.yaml",
            """
            id: a
            title: A
            source: { system: shop, webhook: { path: /hooks/a, auth: { kind: none } } }
            target: { system: erp, http: { path: /a } }
            delivery: { idempotency_window: 9223372036854775807 }
            """)
        let result = try await Binary.run(["validate", directory.url.path])
        #expect(result.status == 1)
        #expect(
            result.error.contains("switchboard.yaml:2:27: server.shutdown_grace must be a duration such as 250ms, 30s, 5m, 1h or 7d"),
            "\(result.error)")
        #expect(
            result.error.contains("integrations/a.yaml:5:33: delivery.idempotency_window must be a duration such as 250ms, 30s, 5m, 1h or 7d"),
            "\(result.error)")
        let since = try await Binary.run(["messages", "list", "-w", directory.url.path, "--since", "1e300d"])
        #expect(since.status == 1)
        #expect(
            since.error.contains("--since '1e300d' is neither an ISO 8601 time such as 2026-11-26T10:00:00Z nor a duration such as 1h"),
            "\(since.error)")
        let window = try await Binary.run(["emulate", "dataverse", "--window", "inf"])
        #expect(window.status != 0)
        #expect(window.error.contains("--window inf: write a duration such as 5m or 10s"), "\(window.error)")
        for latency in ["inf", "nan"] {
            let answer = try await Binary.run(["emulate", "dataverse", "--latency", latency])
            #expect(answer.status == 1)
            #expect(answer.error == "--latency \(latency): write a time such as 5ms, or a range such as 2ms..20ms\n", "\(answer.error)")
        }
        let huge = try await Binary.run(["emulate", "dataverse", "--latency", "1e300ms"])
        #expect(huge.status == 1)
        #expect(huge.error == "--latency 1e300ms: write a time such as 5ms, or a range such as 2ms..20ms (at most an hour)\n", "\(huge.error)")
    }
}
