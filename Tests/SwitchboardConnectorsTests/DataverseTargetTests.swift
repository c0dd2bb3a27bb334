import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// A hub writing to the Dataverse emulator over HTTPS, signed in with client credentials.
@Suite("Dataverse target against the emulator over HTTPS")
struct DataverseTargetTests {
    /// A hub whose `orders` integration upserts sales orders into `emulator` by order number.
    final class Setup: Sendable {
        let emulator: EmulatorHarness
        let directory: TemporaryDirectory
        let hub: Hub
        let port: Int
        private let task: Task<Void, any Error>

        init(
            emulator: EmulatorHarness, operation: String = "upsert", batchSize: Int = 1, batchWait: String = "10ms", batchWith: String = "batch",
            secondUser: String? = nil, writeAs: String? = nil
        ) async throws {
            self.emulator = emulator
            directory = try TemporaryDirectory()
            try directory.write(
                "switchboard.yaml",
                """
                version: 1
                environments: [test]
                server: { host: 127.0.0.1, port: 0 }
                systems:
                  - { id: shop, kind: http, location: cloud }
                  - id: crm
                    kind: dataverse
                    location: cloud
                    connections:
                      test:
                        base_url: \(emulator.origin)
                        authority: \(emulator.origin)
                        tenant: switchboard
                        client_id: app-1
                        client_secret: ${env:DATAVERSE_SECRET}
                        ca_file: \(emulator.folder.url.appendingPathComponent("tls/ca.pem").path)
                        batch_size: \(batchSize)
                        batch_wait: \(batchWait)
                        batch_with: \(batchWith)
                \(secondUser.map { "        more_users: [{ client_id: \($0), client_secret: \"${env:SECOND_SECRET}\" }]" } ?? "")
                """)
            try directory.write(
                "integrations/orders.yaml",
                """
                id: orders
                title: Web-shop orders into Dataverse
                source: { system: shop, webhook: { path: /hooks/orders, auth: { kind: none } } }
                steps:
                  - map: { name: { concat: ["Order ", $.number] }, ordernumber: $.number, totalamount: $.total }
                target:
                  system: crm
                  dataverse: { table: salesorders, operation: \(operation), key: { ordernumber: $.ordernumber }\(writeAs.map { ", user: \($0)" } ?? "") }
                delivery: { max_attempts: 20, backoff: { initial: 50ms, max: 500ms, multiplier: 2 }, timeout: 5s, concurrency: 8, ordering_key: $.number }
                """)
            let workspace = try Workspace.load(
                directory: directory.url, registry: .standard, variables: ["DATAVERSE_SECRET": "secret-1", "SECOND_SECRET": "secret-2"])
            (hub, task, port) = try await Hub.startedForTest(workspace, label: "dataverse-target-test")
        }

        func post(_ body: String) async throws -> String {
            let answer = try await emulator.send("POST", "http://127.0.0.1:\(port)/hooks/orders", body: body)
            return answer.json["id"]?.text ?? ""
        }

        func stop() async throws {
            await hub.shutdown()
            try await task.value
            directory.remove()
        }
    }

    @Test("orders are upserted by alternate key: a repeated order updates its record; a bad one is dead with Dataverse's error")
    func upserts() async throws {
        let emulator = try await EmulatorHarness()
        let setup = try await Setup(emulator: emulator)
        let first = try await setup.post(#"{"number": "SO-1", "total": 100}"#)
        _ = try await setup.post(#"{"number": "SO-2", "total": 250.5}"#)
        let repeated = try await setup.post(#"{"number": "SO-1", "total": 120}"#)
        let bad = try await setup.post(#"{"number": "SO-3", "total": "a lot"}"#)
        #expect(first != repeated)
        let settled = try await eventually {
            let states = try await [first, repeated, bad].asyncMap { try await setup.hub.store.message(id: $0)?.state }
            return states == [.delivered, .delivered, .dead]
        }
        #expect(settled)
        let token = try await emulator.token()
        let orders = try await emulator.send("GET", "salesorders?$select=ordernumber,totalamount&$orderby=ordernumber", token: token)
        let rows = orders.json["value"]?.arrayItems ?? []
        #expect(rows.map { $0["ordernumber"]?.text ?? "" } == ["SO-1", "SO-2"])
        #expect(rows.first?["totalamount"] == .double(120))
        let dead = try await setup.hub.store.message(id: bad)
        #expect(dead?.lastStatus == 400)
        #expect(dead?.lastError?.contains("Cannot convert the literal 'a lot' to the expected type 'Edm.Decimal'.") == true)
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("when the service protection limit answers 429 with Retry-After, the hub waits and delivers every order exactly once")
    func throttling() async throws {
        // Twelve orders against five requests per 4 s: more than five fall into the first window
        // however slowly a busy machine posts them, so the emulator must throttle.
        let emulator = try await EmulatorHarness(limits: .init(maxRequests: 5, windowMillis: 4_000))
        let setup = try await Setup(emulator: emulator)
        var posted: [String] = []
        for number in 1...12 { posted.append(try await setup.post(#"{"number": "T-\#(number)", "total": \#(number)}"#)) }
        let ids = posted
        let delivered = try await eventually(45) {
            try await ids.asyncMap { try await setup.hub.store.message(id: $0)?.state }.allSatisfy { $0 == .delivered }
        }
        #expect(delivered)
        let stats = try await emulator.send("GET", "\(emulator.origin)/_emulator/stats")
        #expect((stats.json["throttled"]?["requests"]?.text).flatMap(Int.init) ?? 0 > 0)
        // The test reads as the hub's own user, whose window the hub may just have filled: it
        // waits for room as any client must.
        let token = try await emulator.token()
        let count = Locked("")
        _ = try await eventually {
            let text = try await emulator.send("GET", "salesorders/$count", token: token).text
            count.withLock { $0 = text }
            return !text.contains("0x80072322")
        }
        #expect(count.withLock { $0 } == "12")
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("an integration that declares its application user writes as that user alone, in single writes and in batches")
    func declaredUser() async throws {
        let emulator = try await EmulatorHarness(users: [
            ApplicationUser(clientID: "app-1", clientSecret: "secret-1"), ApplicationUser(clientID: "app-2", clientSecret: "secret-2"),
        ])
        for batchSize in [1, 5] {
            let setup = try await Setup(emulator: emulator, batchSize: batchSize, secondUser: "app-2", writeAs: "app-2")
            var posted: [String] = []
            for number in 1...6 { posted.append(try await setup.post(#"{"number": "W\#(batchSize)-\#(number)", "total": \#(number)}"#)) }
            let ids = posted
            #expect(
                try await eventually { try await ids.asyncMap { try await setup.hub.store.message(id: $0)?.state }.allSatisfy { $0 == .delivered } })
            try await setup.stop()
        }
        let stats = try await emulator.send("GET", "\(emulator.origin)/_emulator/stats")
        // app-1 reads nothing and writes nothing: every write, single or batched, went as app-2.
        #expect((stats.json["users"]?["app-1"]?["requests"]?.text).flatMap(Int.init) ?? 0 == 0, "\(stats.text)")
        #expect(((stats.json["users"]?["app-2"]?["requests"]?.text).flatMap(Int.init) ?? 0) >= 6, "\(stats.text)")
        try await emulator.stop()
    }

    @Test(
        "the execution-time and concurrency limits answer 429 too; the hub waits, adapts and delivers everything once",
        arguments: [
            ServiceProtection.Limits(maxExecutionMillis: 300, windowMillis: 1_500),
            ServiceProtection.Limits(maxConcurrent: 2),
        ])
    func otherLimits(limits: ServiceProtection.Limits) async throws {
        // The test reads with its own application user: each user has its own limits.
        // Slow answers for the concurrency case, so that deliveries overlap however busy the machine is.
        let millis: Double = limits.maxConcurrent == 2 ? 150 : 40
        let emulator = try await EmulatorHarness(
            limits: limits, latency: LatencyModel(minMillis: millis, maxMillis: millis),
            users: [ApplicationUser(clientID: "app-1", clientSecret: "secret-1"), ApplicationUser(clientID: "reader", clientSecret: "r")])
        let setup = try await Setup(emulator: emulator)
        // Posted together, so that deliveries overlap however busy the machine is.
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 1...20 { group.addTask { try await setup.post(#"{"number": "L-\#(number)", "total": \#(number)}"#) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let delivered = try await eventually(30) {
            try await ids.asyncMap { try await setup.hub.store.message(id: $0)?.state }.allSatisfy { $0 == .delivered }
        }
        #expect(delivered)
        let stats = try await emulator.send("GET", "\(emulator.origin)/_emulator/stats")
        let reason = limits.maxConcurrent == 2 ? "concurrency" : "execution_time"
        #expect((stats.json["throttled"]?[reason]?.text).flatMap(Int.init) ?? 0 > 0, "\(stats.text)")
        let token = try await emulator.token(clientID: "reader", secret: "r")
        #expect(try await emulator.send("GET", "salesorders/$count", token: token).text == "20")
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("with a second application user, a throttled user waits while the other carries on; every order is written once")
    func twoUsers() async throws {
        let emulator = try await EmulatorHarness(
            limits: .init(maxRequests: 6, windowMillis: 2_000),
            users: [
                ApplicationUser(clientID: "app-1", clientSecret: "secret-1"), ApplicationUser(clientID: "app-2", clientSecret: "secret-2"),
                ApplicationUser(clientID: "reader", clientSecret: "r"),
            ])
        let setup = try await Setup(emulator: emulator, secondUser: "app-2")
        var posted: [String] = []
        for number in 1...16 { posted.append(try await setup.post(#"{"number": "U-\#(number)", "total": \#(number)}"#)) }
        let ids = posted
        let delivered = try await eventually(30) {
            try await ids.asyncMap { try await setup.hub.store.message(id: $0)?.state }.allSatisfy { $0 == .delivered }
        }
        #expect(delivered)
        let stats = try await emulator.send("GET", "\(emulator.origin)/_emulator/stats")
        let first = (stats.json["users"]?["app-1"]?["requests"]?.text).flatMap(Int.init) ?? 0
        let second = (stats.json["users"]?["app-2"]?["requests"]?.text).flatMap(Int.init) ?? 0
        #expect(first >= 6 && second >= 6, "\(stats.text)")
        let token = try await emulator.token(clientID: "reader", secret: "r")
        #expect(try await emulator.send("GET", "salesorders/$count", token: token).text == "16")
        try await setup.stop()
        try await emulator.stop()
    }

    @Test(
        "with batch_size, writes share $batch requests, or UpsertMultiple with batch_with: multiple; one bad record is dead with its error, the others are written",
        arguments: ["batch", "multiple"])
    func batches(mode: String) async throws {
        let emulator = try await EmulatorHarness()
        // Writes wait long enough for others to join them however slowly the orders arrive on a busy machine.
        let setup = try await Setup(emulator: emulator, batchSize: 10, batchWait: "300ms", batchWith: mode)
        // All at once, so that writes gather into batches however busy the machine is.
        let ids = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for number in 1...25 {
                let total = number == 7 ? #""seven""# : "\(number)"
                group.addTask { (number, try await setup.post(#"{"number": "B-\#(number)", "total": \#(total)}"#)) }
            }
            return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let settled = try await eventually {
            let states = try await ids.asyncMap { try await setup.hub.store.message(id: $0)?.state }
            return states.allSatisfy { $0 == .delivered || $0 == .dead }
        }
        #expect(settled)
        let dead = try await setup.hub.store.message(id: ids[6])
        #expect(dead?.state == .dead)
        #expect(dead?.lastError?.contains("Cannot convert the literal 'seven'") == true)
        let token = try await emulator.token()
        #expect(try await emulator.send("GET", "salesorders/$count", token: token).text == "24")
        let stats = try await emulator.send("GET", "\(emulator.origin)/_emulator/stats")
        let batches = (stats.json["batches"]?["count"]?.text).flatMap(Int.init) ?? 0
        let upserted = (stats.json["bulk"]?["UpsertMultiple"]?["records"]?.text).flatMap(Int.init) ?? 0
        if mode == "batch" {
            #expect(batches >= 3 && batches < 25, "\(batches) batches")
            #expect(upserted == 0)
        } else {
            // Good records go in UpsertMultiple messages, but those sharing one with the bad record,
            // which are sent again in a $batch (as is a write gathered alone).
            #expect(upserted >= 10, "\(stats.text)")
            #expect(batches >= 1, "the writes of the refused UpsertMultiple go again in a $batch: \(stats.text)")
        }
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("a token that stops being valid during a run is answered 401; the hub signs in again and delivers")
    func tokenExpiresDuringRun() async throws {
        let emulator = try await EmulatorHarness()
        let setup = try await Setup(emulator: emulator)
        let before = try await setup.post(#"{"number": "E-1", "total": 1}"#)
        #expect(try await eventually { try await setup.hub.store.message(id: before)?.state == .delivered })
        #expect(try await emulator.send("POST", "\(emulator.origin)/_emulator/tokens/revoke").status == 204)
        let after = try await setup.post(#"{"number": "E-2", "total": 2}"#)
        #expect(try await eventually { try await setup.hub.store.message(id: after)?.state == .delivered })
        let attempts = try await setup.hub.store.audit(matching: AuditFilter(messageID: after)).filter(\.isAttempt).map(\.status)
        #expect(attempts.contains(401))
        try await setup.stop()
        try await emulator.stop()
    }

    @Test("a wrong client secret dead-letters the message with the sign-in's error instead of retrying forever")
    func wrongSecret() async throws {
        let emulator = try await EmulatorHarness(users: [ApplicationUser(clientID: "app-1", clientSecret: "another")])
        let setup = try await Setup(emulator: emulator)
        let id = try await setup.post(#"{"number": "X-1", "total": 1}"#)
        #expect(try await eventually { try await setup.hub.store.message(id: id)?.state == .dead })
        let message = try await setup.hub.store.message(id: id)
        #expect(message?.lastError?.contains("signing in failed: AADSTS7000215") == true, "\(String(describing: message?.lastError))")
        try await setup.stop()
        try await emulator.stop()
    }
}
