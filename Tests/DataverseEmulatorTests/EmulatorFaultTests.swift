import DataverseEmulator
import DataverseEmulatorCore
import DataverseEmulatorState
import Foundation
import SwitchboardModel
import SwitchboardSQLite
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Dataverse emulator: injected faults and saved state")
struct EmulatorFaultTests {
    @Test("injected 500/503 answers change nothing; dropped connections reach the client as a broken connection")
    func faults() async throws {
        let failing = try await EmulatorHarness(faults: FaultInjection(failureRate: 1))
        let token = try await failing.token()
        var statuses: Set<Int> = []
        for _ in 0..<20 {
            let answer = try await failing.send("POST", "accounts", token: token, body: #"{"name": "never stored"}"#)
            statuses.insert(answer.status)
            #expect(answer.errorMessage?.isEmpty == false)
        }
        #expect(statuses.isSubset(of: [500, 503]) && !statuses.isEmpty)
        #expect(failing.emulator.store.snapshot().count(try #require(DefaultSchema.schema.table(logicalName: "account"))) == 0)
        let stats = try await failing.send("GET", "\(failing.origin)/_emulator/stats")
        let injected = (stats.json["injected_faults"]?["500"]?.text).flatMap(Int.init) ?? 0
        #expect(injected + ((stats.json["injected_faults"]?["503"]?.text).flatMap(Int.init) ?? 0) == 20)
        try await failing.stop()

        let dropping = try await EmulatorHarness(faults: FaultInjection(dropRate: 1))
        let dropToken = try await dropping.token()
        await #expect(throws: (any Error).self) { _ = try await dropping.send("GET", "accounts", token: dropToken) }
        try await dropping.stop()
    }

    @Test("with a state file, records, alternate keys and delta links survive a restart")
    func savedState() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("dataverse.sqlite").path
        let first = try await EmulatorHarness(persistence: try SQLiteEmulatorState(path: path))
        var token = try await first.token()
        _ = try await first.send("PATCH", "accounts(accountnumber='S-1')", token: token, body: #"{"name": "Saved"}"#)
        let gone = try await first.send(
            "POST", "accounts", token: token, headers: ["Prefer": "return=representation"], body: #"{"name": "Deleted later"}"#)
        let tracked = try await first.send("GET", "accounts?$select=name", token: token, headers: ["Prefer": "odata.track-changes"])
        let deltaLink = try #require(tracked.json["@odata.deltaLink"]?.text)
        _ = try await first.send("DELETE", "accounts(\(try #require(gone.json["accountid"]?.text)))", token: token)
        try await first.stop()

        let second = try await EmulatorHarness(persistence: try SQLiteEmulatorState(path: path))
        token = try await second.token()
        let saved = try await second.send("GET", "accounts(accountnumber='S-1')?$select=name", token: token)
        #expect(saved.status == 200)
        #expect(saved.json["name"]?.text == "Saved")
        // The delta link from before the restart still reports the deletion (on the new port).
        let delta = try await second.send("GET", deltaLink.replacingOccurrences(of: first.origin, with: second.origin), token: token)
        #expect(delta.json["value"]?.arrayItems.filter { $0["reason"]?.text == "deleted" }.count == 1)
        let duplicate = try await second.send("POST", "accounts", token: token, body: #"{"name": "Copy", "accountnumber": "S-1"}"#)
        #expect(duplicate.status == 412)
        try await second.stop()
    }

    @Test("a delta link from before a reset, from an earlier run in memory, or for a version not reached is refused, never answered with less")
    func refusedDeltaLinks() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.url.appendingPathComponent("dataverse.sqlite").path
        let emulator = try await EmulatorHarness(persistence: try SQLiteEmulatorState(path: path))
        var token = try await emulator.token()
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "Before"}"#)
        let tracked = try await emulator.send("GET", "accounts?$select=name", token: token, headers: ["Prefer": "odata.track-changes"])
        let deltaLink = try #require(tracked.json["@odata.deltaLink"]?.text)
        #expect(try await emulator.send("GET", deltaLink, token: token).status == 200)

        #expect(try await emulator.send("POST", "\(emulator.origin)/_emulator/reset").status == 204)
        _ = try await emulator.send("POST", "accounts", token: token, body: #"{"name": "After"}"#)
        let refused = try await emulator.send("GET", deltaLink, token: token)
        #expect(refused.status == 400)
        #expect(refused.errorMessage?.contains("is not one this service issued, or it has expired") == true, "\(refused.text)")
        // A new read after the reset works, and its link survives a restart with the state file.
        let fresh = try await emulator.send("GET", "accounts?$select=name", token: token, headers: ["Prefer": "odata.track-changes"])
        #expect(fresh.json["value"]?.arrayItems.map { $0["name"]?.text ?? "" } == ["After"])
        let freshLink = try #require(fresh.json["@odata.deltaLink"]?.text)
        try await emulator.stop()
        let restarted = try await EmulatorHarness(persistence: try SQLiteEmulatorState(path: path))
        token = try await restarted.token()
        let kept = try await restarted.send("GET", freshLink.replacingOccurrences(of: emulator.origin, with: restarted.origin), token: token)
        #expect(kept.status == 200, "\(kept.text)")
        #expect(
            try await restarted.send("GET", deltaLink.replacingOccurrences(of: emulator.origin, with: restarted.origin), token: token).status == 400,
            "the reset is remembered across the restart")
        try await restarted.stop()

        // In memory, a token issued before this run began, or for a version not reached yet, is refused.
        let memory = try await EmulatorHarness()
        token = try await memory.token()
        let yesterday = ChangeTrackingToken.text(version: 1_001, at: Date().addingTimeInterval(-86_400))
        let now = ChangeTrackingToken.text(version: 99_999_999, at: Date())
        for stale in [yesterday, now] {
            let answer = try await memory.send("GET", "accounts?$select=name&$deltatoken=\(stale.percentEncodedForQuery)", token: token)
            #expect(answer.status == 400, "\(stale)")
        }
        try await memory.stop()
    }
}

/// A delta token in the documented shape `<version>!<MM/dd/yyyy HH:mm:ss>`, written by the test.
enum ChangeTrackingToken {
    static func text(version: Int64, at date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MM/dd/yyyy HH:mm:ss"
        return "\(version)!\(formatter.string(from: date))"
    }
}

extension String {
    var percentEncodedForQuery: String { addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? self }
}
