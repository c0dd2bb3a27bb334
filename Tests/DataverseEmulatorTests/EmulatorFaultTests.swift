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
}
