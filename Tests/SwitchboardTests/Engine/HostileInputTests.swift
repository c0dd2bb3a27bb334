import Foundation
import SwitchboardTesting
import Testing
@testable import DataverseEmulatorCore
@testable import SwitchboardEngine
@testable import SwitchboardModel

/// Input that used to trap (issue 13's crashes): each now gets a sentence, and nothing crashes.
@Suite("Hostile input gets an answer, never a crash")
struct HostileInputTests {
    @Test("a date step given 1e19 (or NaN text, or year 10000) fails the message with a sentence instead of trapping")
    func hugeEpochNumber() throws {
        let pipeline = Pipeline([.map([("created", .date(.path(JSONPath("$.created_at")!), format: .iso8601))])])
        for value: JSONValue in [.double(1e19), .double(-1e300), .string("9223372036854775807999"), .int(253_402_300_800_000)] {
            #expect(throws: StepError.self) { try pipeline.run(.object(["created_at": value])) }
        }
        do {
            _ = try pipeline.run(.object(["created_at": .double(1e19)]))
        } catch {
            #expect(error.message == "date cannot read '1e+19'; expected ISO 8601 text or epoch milliseconds of a year from 1 to 9999")
        }
        #expect(try pipeline.run(.object(["created_at": .double(1_764_000_000_000)])) == .next(.object(["created": .string("2025-11-24T16:00:00Z")])))
    }

    @Test("durations that are infinite, not a number, negative or past 100 years are refused, not converted")
    func durations() {
        for text in ["inf", "infs", "nan", "-1s", "9223372036854775807", "1e300d", "1e20ms", "101y", ""] { #expect(Duration.parse(text) == nil, "\(text)") }
        #expect(Duration.parse("30s") == .seconds(30))
        #expect(Duration.parse("36500d") == .seconds(36_500 * 86_400))
        #expect(Duration.parse("36501d") == nil)
    }

    @Test("a workspace with shutdown_grace: inf and idempotency_window: 9223372036854775807 gets a sentence for each")
    func workspaceDurations() throws {
        let directory = try TemporaryDirectory()
        try directory.write("switchboard.yaml", """
            version: 1
            server: { shutdown_grace: inf }
            systems:
              - { id: shop, kind: http, location: cloud }
              - { id: erp, kind: http, location: cloud, connections: { default: { base_url: "http://127.0.0.1:1" } } }
            """)
        try directory.write("integrations/a.yaml", """
            id: a
            title: A
            source: { system: shop, webhook: { path: /hooks/a, auth: { kind: none } } }
            target: { system: erp, http: { path: /a } }
            delivery: { idempotency_window: 9223372036854775807 }
            """)
        let result = try Binary.run(["validate", directory.url.path])
        #expect(result.status == 1)
        #expect(result.error.contains("switchboard.yaml:2:27: server.shutdown_grace must be a duration such as 250ms, 30s, 5m, 1h or 7d"), "\(result.error)")
        #expect(result.error.contains("integrations/a.yaml:5:33: delivery.idempotency_window must be a duration such as 250ms, 30s, 5m, 1h or 7d"), "\(result.error)")
        let since = try Binary.run(["messages", "list", "-w", directory.url.path, "--since", "1e300d"])
        #expect(since.status == 1)
        #expect(since.error.contains("--since '1e300d' is neither an ISO 8601 time such as 2026-11-26T10:00:00Z nor a duration such as 1h"), "\(since.error)")
        let window = try Binary.run(["emulate", "dataverse", "--window", "inf"])
        #expect(window.status != 0)
        #expect(window.error.contains("--window inf: write a duration such as 5m or 10s"), "\(window.error)")
    }

    @Test("a $filter nested 12,000 deep, 15,000 nots, or 20,000 terms is refused as a bad request")
    func deepFilters() {
        let nested = String(repeating: "(", count: 12_000) + "name eq 'a'" + String(repeating: ")", count: 12_000)
        let nots = String(repeating: "not ", count: 15_000) + "name eq 'a'"
        let terms = Array(repeating: "name eq 'a'", count: 20_000).joined(separator: " and ")
        for filter in [nested, nots, terms] {
            #expect(throws: DataverseError.self) { try FilterParser.parse(filter) }
        }
        #expect((try? FilterParser.parse("not (name eq 'a' or (name eq 'b' and not name eq 'c'))")) != nil)
    }
}
