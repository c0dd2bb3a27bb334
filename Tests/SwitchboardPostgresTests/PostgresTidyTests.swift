import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardPostgres
import SwitchboardTesting
import Testing

/// The pending partition after a burst of traffic, as PostgreSQL's statistics show it.
@Suite("PostgreSQL store: the hot table kept small")
struct PostgresTidyTests {
    @Test("after 3,000 messages stored, leased and delivered, tidy vacuums the pending partition; with few dead rows it does nothing")
    func vacuumsAfterChurn() async throws {
        let url = try await ThrowawayPostgres.database()
        let cluster = try await ThrowawayPostgres.cluster()
        let name = String(url.split(separator: "?").first?.split(separator: "/").last ?? "")
        let store = try PostgresMessageStore(url: try PostgresURL.parse(url).get(), poolSize: 4)
        try await store.prepare()
        @Sendable func vacuums() async throws -> Int {
            let text = try await cluster.sql(
                "SELECT vacuum_count + autovacuum_count FROM pg_stat_user_tables WHERE relname = 'messages_pending'", database: name)
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        try await store.tidy()
        #expect(try await vacuums() == 0, "nothing to do on a fresh store")

        let now: Int64 = 1_000_000
        for batch in 0..<6 {
            let messages = (0..<500).map { index in
                NewMessage(id: "M\(batch)-\(index)", integration: "orders", payload: Array(#"{"n":1}"#.utf8), receivedAt: now)
            }
            _ = try await store.enqueue(messages)
            let leased = try await store.claim(integration: "orders", limit: 500, now: now, leaseMillis: 60_000, owner: "node-1")
            let done = leased.map { message in
                Completion(
                    messageID: message.id, leaseToken: message.leaseToken ?? "",
                    lifecycle: MessageLifecycle(state: .delivered, attempts: 1, availableAt: now), lastStatus: 200, lastError: nil, audit: [])
            }
            #expect(try await store.complete(done).allSatisfy { $0 })
        }
        // The statistics reach pg_stat_user_tables within about a second.
        let counted = await eventually {
            let text = (try? await cluster.sql("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'messages_pending'", database: name)) ?? ""
            return (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 5_000
        }
        #expect(counted, "3,000 messages left their dead rows in messages_pending")
        try await store.tidy()
        #expect(try await vacuums() >= 1, "tidy vacuumed messages_pending")
        await store.close()
    }
}
