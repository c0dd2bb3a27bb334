import Foundation
import GRDB
import SwitchboardModel
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine
@testable import SwitchboardSQLite

@Suite("SQLite store on a real file")
struct SQLiteMessageStoreTests {
    let now: Int64 = 1_700_000_000_000

    /// A store in a fresh folder; `remove()` deletes it.
    struct Fixture {
        let directory: TemporaryDirectory
        let path: String
        let store: SQLiteMessageStore

        init() throws {
            directory = try TemporaryDirectory()
            path = directory.url.appendingPathComponent("state/state.sqlite").path
            store = try SQLiteMessageStore(path: path)
        }

        func remove() { directory.remove() }
    }

    func message(_ id: String, key: String? = nil, idempotency: String? = nil, at time: Int64? = nil, integration: String = "orders") -> NewMessage {
        NewMessage(
            id: id, integration: integration, payload: Array(#"{"id":"\#(id)"}"#.utf8), orderingKey: key, idempotencyKey: idempotency,
            idempotencyWindowMillis: 60_000, receivedAt: time ?? now)
    }

    func complete(_ store: SQLiteMessageStore, _ message: Message, _ event: MessageLifecycle.Event) async throws -> Bool {
        var lifecycle = message.lifecycle
        try lifecycle.apply(event)
        return try await store.complete([
            Completion(
                messageID: message.id, leaseToken: message.leaseToken!, lifecycle: lifecycle, lastStatus: 500,
                lastError: "boom", audit: [AuditRecord(at: now, messageID: message.id, integration: "orders", kind: .retry)])
        ])[0]
    }

    @Test("enqueued messages survive reopening the file, with their audit record")
    func durableAcrossReopen() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        let path = fixture.path
        let results = try await store.enqueue([message("A"), message("B")])
        #expect(results == [.accepted(id: "A"), .accepted(id: "B")])
        let reopened = try SQLiteMessageStore(path: path)
        let stored = try await reopened.messages(matching: MessageFilter())
        #expect(stored.map(\.id) == ["B", "A"])
        #expect(stored.allSatisfy { $0.state == .ready && $0.payload == Array(#"{"id":"\#($0.id)"}"#.utf8) })
        let audit = try await reopened.audit(matching: AuditFilter(messageID: "A"))
        #expect(audit.map(\.kind) == [.received])
    }

    @Test("durability FULL is set on the writer")
    func synchronousFull() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        let level = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(level == 2)
    }

    @Test("an idempotency key inside its window returns the first id; after the window it is new")
    func idempotency() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        #expect(
            try await store.enqueue([message("A", idempotency: "k1"), message("B", idempotency: "k1")]) == [
                .accepted(id: "A"), .duplicate(ofID: "A"),
            ])
        #expect(try await store.enqueue([message("C", idempotency: "k1", at: now + 59_999)]) == [.duplicate(ofID: "A")])
        #expect(try await store.enqueue([message("D", idempotency: "k1", at: now + 60_000)]) == [.accepted(id: "D")])
        #expect(try await store.enqueue([message("E", idempotency: "k1", integration: "other")]) == [.accepted(id: "E")])
        #expect(try await store.messages(matching: MessageFilter(integration: "orders")).map(\.id) == ["D", "A"])
    }

    @Test("a graceful release gives back one delivery loop's leases; recovery at start takes back every loop's of the node, and no other node's")
    func leaseOwnersAcrossReloads() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try await store.enqueue([message("A"), message("B"), message("C"), message("D")])
        _ = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "n1")
        _ = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "n1#1")
        _ = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "n1#2")
        _ = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "n10")
        // A retiring loop (after a reload) gives back only its own.
        #expect(try await store.releaseLeases(owner: "n1#1", now: now) == 1)
        #expect(try await store.message(id: "B")?.state == .ready)
        #expect(try await store.message(id: "A")?.state == .leased)
        // The node's first loop, at start, takes back what all its loops held; n10 is another node.
        #expect(try await store.releaseLeases(owner: "n1", now: now, recovering: 3) == 2)
        #expect(try await store.message(id: "A")?.state == .ready)
        #expect(try await store.message(id: "C")?.state == .ready)
        #expect(try await store.message(id: "D")?.state == .leased)
    }

    @Test("claim leases oldest first, once; an expired lease is claimed again; a stale token cannot complete")
    func claiming() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try await store.enqueue([message("A"), message("B"), message("C")])
        let first = try await store.claim(integration: "orders", limit: 2, now: now, leaseMillis: 1_000, owner: "n1")
        #expect(first.map(\.id) == ["A", "B"])
        #expect(first.allSatisfy { $0.state == .leased && $0.leaseToken != nil })
        let second = try await store.claim(integration: "orders", limit: 5, now: now, leaseMillis: 1_000, owner: "n1")
        #expect(second.map(\.id) == ["C"])
        #expect(try await store.claim(integration: "orders", limit: 5, now: now + 999, leaseMillis: 1_000, owner: "n1").isEmpty)
        let again = try await store.claim(integration: "orders", limit: 5, now: now + 1_000, leaseMillis: 1_000, owner: "n2")
        #expect(Set(again.map(\.id)) == ["A", "B", "C"])
        // The first worker's token is stale now.
        #expect(try await complete(store, first[0], .delivered) == false)
        #expect(try await complete(store, again.first { $0.id == "A" }!, .delivered) == true)
        #expect(try await store.message(id: "A")?.state == .delivered)
    }

    @Test("per-key order: a later message waits while an earlier one of its key is unfinished")
    func ordering() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try await store.enqueue([message("A1", key: "a"), message("B1", key: "b"), message("A2", key: "a"), message("N", key: nil)])
        let round1 = try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 60_000, owner: "n")
        #expect(round1.map(\.id) == ["A1", "B1", "N"])
        // A1 fails and waits for a retry: A2 still waits behind it.
        let a1 = round1[0]
        var lifecycle = a1.lifecycle
        try lifecycle.apply(.failed(.retryable(notBefore: nil), now: now, backoff: 5_000, maxAttempts: 5))
        _ = try await store.complete([
            Completion(messageID: "A1", leaseToken: a1.leaseToken!, lifecycle: lifecycle, lastStatus: 503, lastError: "busy", audit: [])
        ])
        #expect(try await store.claim(integration: "orders", limit: 10, now: now + 1_000, leaseMillis: 60_000, owner: "n").isEmpty)
        let retry = try await store.claim(integration: "orders", limit: 10, now: now + 5_000, leaseMillis: 60_000, owner: "n")
        #expect(retry.map(\.id) == ["A1"])
        #expect(try await complete(store, retry[0], .delivered))
        #expect(try await store.claim(integration: "orders", limit: 10, now: now + 5_000, leaseMillis: 60_000, owner: "n").map(\.id) == ["A2"])
    }

    @Test("release at start gives back this node's leases only; replay and discard touch dead messages only")
    func releaseReplayDiscard() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try await store.enqueue([message("A"), message("B"), message("C")])
        let claimed = try await store.claim(integration: "orders", limit: 3, now: now, leaseMillis: 60_000, owner: "n1")
        #expect(try await complete(store, claimed[0], .failed(.permanent, now: now, backoff: 0, maxAttempts: 3)))
        #expect(try await complete(store, claimed[1], .failed(.permanent, now: now, backoff: 0, maxAttempts: 3)))
        #expect(try await store.releaseLeases(owner: "other", now: now) == 0)
        #expect(try await store.releaseLeases(owner: "n1", now: now) == 1)
        #expect(try await store.message(id: "C")?.state == .ready)

        #expect(try await store.replay(matching: MessageFilter(), ids: ["A", "C"], now: now, actor: "ops") == ["A"])
        #expect(try await store.message(id: "A")?.state == .ready)
        #expect(try await store.discard(matching: MessageFilter(), ids: nil, now: now, actor: "ops", reason: "test data") == ["B"])
        #expect(try await store.message(id: "B") == nil)
        let audit = try await store.audit(matching: AuditFilter(messageID: "B"))
        #expect(audit.first?.kind == .discarded)
        #expect(audit.first?.actor == "ops")
        #expect(audit.first?.detail == "test data")
        let replayed = try await store.audit(matching: AuditFilter(messageID: "A", kinds: [.replayed]))
        #expect(replayed.count == 1)
    }

    @Test("prune removes old audit records and finished messages, never unfinished ones")
    func prune() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try await store.enqueue([message("old", at: now - 10_000), message("new")])
        let claimed = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 1_000, owner: "n")
        var lifecycle = claimed[0].lifecycle
        try lifecycle.apply(.delivered)
        _ = try await store.complete([
            Completion(
                messageID: "old", leaseToken: claimed[0].leaseToken!, lifecycle: lifecycle, lastStatus: 200, lastError: nil,
                audit: [AuditRecord(at: now - 5_000, messageID: "old", integration: "orders", kind: .delivered)])
        ])
        // Finished messages are pruned by their last update; the delivery was recorded at now - 5 s.
        #expect(try await store.prune(before: now - 1_000, now: now) >= 2)
        #expect(try await store.message(id: "old") == nil)
        #expect(try await store.message(id: "new")?.state == .ready)
    }

    @Test("prune deletes at most the limit of each kind per call, oldest first, until none is left, and never a pending message")
    func pruneInBatches() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        // 2,500 delivered (each with received, leased and delivered records and a key) and 10 ready.
        let delivered = (0..<2_500).map { message("D\($0)", idempotency: "K\($0)", at: now - 10_000) }
        _ = try await store.enqueue(delivered)
        let claimed = try await store.claim(integration: "orders", limit: 2_500, now: now - 10_000, leaseMillis: 60_000, owner: "n")
        #expect(claimed.count == 2_500)
        _ = try await store.complete(
            claimed.map { leased in
                var lifecycle = leased.lifecycle
                _ = try? lifecycle.apply(.delivered)
                return Completion(
                    messageID: leased.id, leaseToken: leased.leaseToken ?? "", lifecycle: lifecycle, lastStatus: 200, lastError: nil,
                    audit: [AuditRecord(at: now - 9_000, messageID: leased.id, integration: "orders", kind: .delivered)])
            })
        _ = try await store.enqueue((0..<10).map { message("R\($0)", at: now) })
        var calls: [Int] = []
        while case let removed = try await store.prune(before: now - 1_000, now: now + 7_200_000, limit: 1_000), removed > 0 { calls.append(removed) }
        // Each call: at most 1,000 audit records, 1,000 messages and 1,000 keys.
        #expect(calls.allSatisfy { $0 <= 3_000 }, "\(calls)")
        let total: Int = calls.reduce(0, +)
        let expected: Int = 12_500  // 7,500 audit records, 2,500 messages, 2,500 keys
        #expect(total == expected, "\(calls)")
        #expect(calls.count >= 8)
        let left = try await store.messages(matching: MessageFilter(limit: 10_000))
        #expect(Set(left.map(\.id)) == Set((0..<10).map { "R\($0)" }))
        try await store.reclaimSpace()
        let wal = (try? FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "the WAL is truncated after reclaimSpace")
    }

    @Test("a source's position is saved with its messages, in one transaction: when the messages fail, so does the position")
    func checkpoints() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        #expect(try await store.checkpoint(source: "changes:accounts") == nil)
        _ = try await store.enqueue([message("A")], checkpoint: SourceCheckpoint(source: "changes:accounts", position: "delta-1"))
        #expect(try await store.checkpoint(source: "changes:accounts") == "delta-1")
        // A message id already stored fails the insert: the position must not move either.
        await #expect(throws: (any Error).self) {
            try await store.enqueue([message("B"), message("A")], checkpoint: SourceCheckpoint(source: "changes:accounts", position: "delta-2"))
        }
        #expect(try await store.checkpoint(source: "changes:accounts") == "delta-1")
        #expect(try await store.message(id: "B") == nil)
    }

    @Test("a store written by an earlier version opens and migrates forward")
    func migratesForward() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("old.sqlite").path
        // A file at schema v1 holding a ready message, as the first release left it.
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteSchema.migrator.migrate(old, upTo: "v1: messages, idempotency keys, audit")
            try await old.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, integration, state, available_at, payload, received_at, updated_at) VALUES ('OLD', 'orders', 0, 0, X'7B7D', 0, 0)
                        """)
            }
        }
        let store = try SQLiteMessageStore(path: path)
        let applied = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(
            applied == [
                "v1: messages, idempotency keys, audit", "v2: claim scans ready messages only", "v3: positions of polled sources",
                "v4: management API tokens", "v5: paused integrations", "v6: interruptions, for poison messages",
                "v7: the revision and the request of each attempt, the trace context of each message", "v8: dashboard sessions",
            ])
        #expect(try await store.enqueue([message("A")]) == [.accepted(id: "A")])
        let claimed = try await store.claim(integration: "orders", limit: 5, now: now, leaseMillis: 1_000, owner: "n")
        #expect(claimed.map(\.id) == ["OLD", "A"])
    }

    @Test("group commit: concurrent arrivals all commit and each gets its own result")
    func groupCommit() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let store = fixture.store
        let committer = GroupCommitter<NewMessage, EnqueueResult> { batch in try await store.enqueue(batch) }
        let results = try await withThrowingTaskGroup(of: EnqueueResult.self) { group in
            for index in 0..<500 { group.addTask { try await committer.submit(message("M\(index)", idempotency: "k\(index % 400)")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 500)
        let accepted = results.filter { if case .accepted = $0 { true } else { false } }
        #expect(accepted.count == 400)
        #expect(try await store.messages(matching: MessageFilter(limit: 1_000)).count == 400)
    }
}
