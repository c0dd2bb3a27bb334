import SwitchboardEngine
import Testing

/// A store under test: a fresh one, and the same one opened again as after a restart.
public protocol MessageStoreFixture: Sendable {
    /// The store, empty.
    var store: any MessageStore { get }
    /// The same store opened again (a new connection, as a restarted process would open it).
    func reopen() async throws -> any MessageStore
    /// Removes what the fixture made.
    func tearDown() async
}

/// Every guarantee written on `MessageStore`, as checks any store must pass (the SQLite store
/// passes them; the PostgreSQL store must). Run one check per test so each guarantee reports on
/// its own: `@Test(arguments: MessageStoreConformance.Check.allCases)`.
public enum MessageStoreConformance {
    public enum Check: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case durableEnqueue = "an enqueued message and its received record survive reopening"
        case leaseTokens = "a claim leases to one caller, and a completion with an older token is refused"
        case perKeyOrder = "a message waits while an earlier one with its ordering key is ready, leased or waiting"
        case idempotencyWindow = "a key seen inside its window is a duplicate, and accepted again after it"
        case checkpointWithMessages = "a source position is saved with the messages read up to it"
        case checkpointFence = "a fenced position commits only over the position it was read from, and stores nothing otherwise"
        case releaseLeases = "releasing a node's leases makes its messages claimable at once, unattempted, but for those it keeps"
        case poison = "a message the hub stopped while processing more than the limit is dead as poison, counted across restarts and takeovers"
        case replayAndDiscard = "replay puts dead messages back to ready; discard deletes them; both are audited"
        case redeliver = "redelivering puts messages delivered since a time back to ready, audited; a dry run changes nothing"
        case pruning = "pruning removes finished messages and audit records older than the cutoff, never pending ones"
        case attemptRecord = "an attempt's audit record keeps its status, duration, detail, revision and request across reopening"

        public var testDescription: String { rawValue }
    }

    static let now: Int64 = 1_700_000_000_000

    static func message(_ id: String, key: String? = nil, idempotency: String? = nil, at time: Int64 = now, window: Int64 = 60_000) -> NewMessage {
        NewMessage(
            id: id, integration: "orders", payload: Array(#"{"id":"\#(id)"}"#.utf8), orderingKey: key, idempotencyKey: idempotency,
            idempotencyWindowMillis: window, receivedAt: time)
    }

    /// Records an outcome for a leased message, as the dispatcher does.
    static func complete(_ store: any MessageStore, _ message: Message, _ event: MessageLifecycle.Event, token: String? = nil) async throws -> Bool {
        var lifecycle = message.lifecycle
        try lifecycle.apply(event)
        let audit = AuditRecord(
            at: now, messageID: message.id, integration: message.integration, kind: lifecycle.state == .dead ? .dead : .delivered,
            fromState: .leased, toState: lifecycle.state, attempt: lifecycle.attempts)
        return try await store.complete([
            Completion(
                messageID: message.id, leaseToken: token ?? message.leaseToken ?? "", lifecycle: lifecycle,
                lastStatus: 200, lastError: nil, audit: [audit])
        ])[0]
    }

    /// Runs one check against a fresh fixture.
    public static func run(_ check: Check, on fixture: any MessageStoreFixture) async throws {
        let store = fixture.store
        switch check {
        case .durableEnqueue:
            #expect(try await store.enqueue([message("A"), message("B")]) == [.accepted(id: "A"), .accepted(id: "B")])
            let reopened = try await fixture.reopen()
            let stored = try await reopened.messages(matching: MessageFilter())
            #expect(Set(stored.map(\.id)) == ["A", "B"])
            #expect(stored.allSatisfy { $0.state == .ready && $0.payload == Array(#"{"id":"\#($0.id)"}"#.utf8) })
            #expect(try await reopened.audit(matching: AuditFilter(messageID: "A")).map(\.kind) == [.received])

        case .leaseTokens:
            _ = try await store.enqueue([message("A")])
            let first = try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 1_000, owner: "node-1")
            #expect(first.map(\.id) == ["A"])
            #expect(try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 1_000, owner: "node-2").isEmpty)
            // The lease expires; another node takes it over with a new token.
            let second = try await store.claim(integration: "orders", limit: 10, now: now + 5_000, leaseMillis: 1_000, owner: "node-2")
            #expect(second.map(\.id) == ["A"])
            let stale = try #require(first.first), current = try #require(second.first)
            #expect(stale.leaseToken != current.leaseToken)
            #expect(try await complete(store, stale, .delivered) == false)
            #expect(try await complete(store, current, .delivered) == true)
            #expect(try await store.message(id: "A")?.state == .delivered)

        case .perKeyOrder:
            _ = try await store.enqueue([message("A", key: "C1"), message("B", key: "C1"), message("X", key: "C2")])
            let claimed = try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 60_000, owner: "node-1")
            #expect(claimed.map(\.id) == ["A", "X"])
            let a = try #require(claimed.first)
            // A retry keeps B waiting too.
            #expect(try await complete(store, a, .failed(.retryable(notBefore: nil), now: now, backoff: 1_000, maxAttempts: 5)))
            #expect(try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 60_000, owner: "node-1").isEmpty)
            let retried = try await store.claim(integration: "orders", limit: 10, now: now + 1_000, leaseMillis: 60_000, owner: "node-1")
            #expect(retried.map(\.id) == ["A"])
            #expect(try await complete(store, try #require(retried.first), .delivered))
            #expect(
                try await store.claim(integration: "orders", limit: 10, now: now + 1_000, leaseMillis: 60_000, owner: "node-1").map(\.id) == ["B"])

        case .idempotencyWindow:
            #expect(try await store.enqueue([message("A", idempotency: "k1")]) == [.accepted(id: "A")])
            #expect(try await store.enqueue([message("B", idempotency: "k1", at: now + 59_000)]) == [.duplicate(ofID: "A")])
            #expect(try await store.enqueue([message("C", idempotency: "k1", at: now + 61_000)]) == [.accepted(id: "C")])
            #expect(try await store.message(id: "B") == nil)

        case .checkpointWithMessages:
            #expect(try await store.checkpoint(source: "changes:orders") == nil)
            _ = try await store.enqueue([message("A"), message("B")], checkpoint: SourceCheckpoint(source: "changes:orders", position: "p1"))
            let reopened = try await fixture.reopen()
            #expect(try await reopened.checkpoint(source: "changes:orders") == "p1")
            #expect(try await reopened.messages(matching: MessageFilter()).count == 2)

        case .checkpointFence:
            let first = SourceCheckpoint(source: "changes:orders", position: "p1", previous: .some(nil))
            _ = try await store.enqueue([message("A")], checkpoint: first)
            // A second reader of the source's start comes too late.
            await #expect(throws: CheckpointMoved.self) { _ = try await store.enqueue([message("B")], checkpoint: first) }
            #expect(try await store.message(id: "B") == nil)
            _ = try await store.enqueue([message("C")], checkpoint: SourceCheckpoint(source: "changes:orders", position: "p2", previous: "p1"))
            #expect(try await store.checkpoint(source: "changes:orders") == "p2")
            await #expect(throws: CheckpointMoved.self) {
                _ = try await store.enqueue([message("D")], checkpoint: SourceCheckpoint(source: "changes:orders", position: "p3", previous: "p1"))
            }
            #expect(try await store.checkpoint(source: "changes:orders") == "p2")
            #expect(Set(try await store.messages(matching: MessageFilter()).map(\.id)) == ["A", "C"])

        case .releaseLeases:
            _ = try await store.enqueue([message("A"), message("B")])
            _ = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "node-1")
            _ = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "node-2")
            #expect(try await store.releaseLeases(owner: "node-1", now: now) == 1)
            let again = try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 60_000, owner: "node-3")
            #expect(again.count == 1)
            #expect(again.first?.lifecycle.attempts == 0)
            let audit = try await store.audit(matching: AuditFilter(kinds: [.released]))
            #expect(audit.count == 1)
            // A loop whose claim answer was lost keeps what it works on and gives back the rest.
            _ = try await store.enqueue([message("K"), message("L")])
            let held = try await store.claim(integration: "orders", limit: 2, now: now, leaseMillis: 60_000, owner: "node-4")
            let kept = try #require(held.first { $0.id == "K" })
            #expect(try await store.releaseLeases(owner: "node-4", now: now, recovering: nil, keeping: ["K"]) == 1)
            #expect(try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 60_000, owner: "node-5").map(\.id) == ["L"])
            let done = Completion(
                messageID: "K", leaseToken: kept.leaseToken ?? "", lifecycle: MessageLifecycle(state: .delivered, attempts: 1, availableAt: now),
                lastStatus: 200, lastError: nil, audit: [])
            #expect(try await store.complete([done]) == [true], "the kept lease still completes")

        case .attemptRecord:
            _ = try await store.enqueue([message("A")])
            let claimed = try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 1_000, owner: "node-1")
            var lifecycle = try #require(claimed.first).lifecycle
            try lifecycle.apply(.failed(.retryable(notBefore: nil), now: now, backoff: 1_000, maxAttempts: 5))
            let request = "PUT https://erp.example/customers/1\nAuthorization: [redacted]\n\n{\"id\":1}"
            let record = AuditRecord(
                at: now, messageID: "A", integration: "orders", kind: .retry, fromState: .leased, toState: lifecycle.state, attempt: 1,
                status: 503, durationMillis: 12, detail: "maintenance", revision: "3f2a9c1e0b7d", request: request)
            #expect(
                try await store.complete([
                    Completion(
                        messageID: "A", leaseToken: claimed[0].leaseToken ?? "", lifecycle: lifecycle, lastStatus: 503, lastError: "maintenance",
                        audit: [record])
                ]) == [true])
            let reopened = try await fixture.reopen()
            let kept = try #require(try await reopened.audit(matching: AuditFilter(messageID: "A", kinds: [.retry])).first)
            #expect(kept == record)

        case .poison:
            _ = try await store.enqueue([message("A")])
            var time = now
            // Interruptions 1 and 2: the node found its own lease at start, twice (across a reopen).
            for round in 1...2 {
                let current = round == 1 ? store : try await fixture.reopen()
                #expect(try await current.claim(integration: "orders", limit: 10, now: time, leaseMillis: 60_000, owner: "node-1").count == 1)
                time += 1_000
                #expect(try await current.releaseLeases(owner: "node-1", now: time, recovering: 3) == 1)
                #expect(try await current.message(id: "A")?.lifecycle.interruptions == round)
            }
            // Interruption 3: the lease expired and another node took it over; still handed out.
            #expect(try await store.claim(integration: "orders", limit: 10, now: time, leaseMillis: 1_000, owner: "node-1").count == 1)
            time += 5_000
            let takenOver = try await store.claim(
                integration: "orders", limit: 10, now: time, leaseMillis: 1_000, owner: "node-2", maxInterruptions: 3)
            #expect(takenOver.map(\.id) == ["A"] && takenOver.first?.lifecycle.interruptions == 3)
            // Interruption 4 is one too many: dead as poison, and not handed out.
            time += 5_000
            #expect(
                try await store.claim(integration: "orders", limit: 10, now: time, leaseMillis: 1_000, owner: "node-3", maxInterruptions: 3).isEmpty)
            let dead = try #require(try await store.message(id: "A"))
            #expect(dead.state == .dead && dead.lifecycle.attempts == 0)
            #expect(dead.lastError?.hasPrefix("poison message: the hub stopped while processing it 4 times (at most 3 allowed)") == true)
            let deaths = try await store.audit(matching: AuditFilter(messageID: "A", kinds: [.dead]))
            #expect(deaths.count == 1 && deaths.first?.detail == dead.lastError)
            // A replay starts the count again.
            #expect(try await store.replay(matching: MessageFilter(), ids: ["A"], now: time, actor: "ops") == ["A"])
            #expect(try await store.message(id: "A")?.lifecycle.interruptions == 0)

        case .replayAndDiscard:
            _ = try await store.enqueue([message("A"), message("B")])
            for leased in try await store.claim(integration: "orders", limit: 10, now: now, leaseMillis: 60_000, owner: "node-1") {
                #expect(try await complete(store, leased, .failed(.permanent, now: now, backoff: 0, maxAttempts: 5)))
            }
            #expect(
                try await store.replay(matching: MessageFilter(integration: "orders"), ids: ["A"], now: now + 10, actor: "token tk_1 (ops)") == ["A"])
            let replayed = try #require(try await store.message(id: "A"))
            #expect(replayed.state == .ready && replayed.lifecycle.attempts == 0)
            #expect(try await store.replay(matching: MessageFilter(), ids: ["A"], now: now + 20, actor: "ops").isEmpty)
            #expect(try await store.discard(matching: MessageFilter(), ids: nil, now: now + 30, actor: "ops", reason: "test") == ["B"])
            #expect(try await store.message(id: "B") == nil)
            let audit = try await store.audit(matching: AuditFilter(kinds: [.replayed, .discarded]))
            #expect(Set(audit.map(\.kind)) == [.replayed, .discarded])
            #expect(audit.allSatisfy { $0.actor != "hub" })

        case .redeliver:
            _ = try await store.enqueue([message("A"), message("B"), message("C")])
            for (offset, leased) in try await store.claim(integration: "orders", limit: 3, now: now, leaseMillis: 60_000, owner: "node-1")
                .enumerated()
            {
                var lifecycle = leased.lifecycle
                try lifecycle.apply(offset == 2 ? .failed(.permanent, now: now, backoff: 0, maxAttempts: 5) : .delivered)
                let at = now + Int64(offset) * 1_000
                #expect(
                    try await store.complete([
                        Completion(
                            messageID: leased.id, leaseToken: leased.leaseToken ?? "", lifecycle: lifecycle, lastStatus: 200, lastError: nil,
                            audit: [AuditRecord(at: at, messageID: leased.id, integration: "orders", kind: .delivered)])
                    ]) == [true])
            }
            // A delivered at now, B at now + 1 s, C dead: since now + 500 ms picks B alone.
            #expect(try await store.redeliver(integrations: ["orders"], since: now + 500, now: now + 5_000, actor: "ops", dryRun: true) == ["B"])
            #expect(try await store.message(id: "B")?.state == .delivered)
            #expect(try await store.redeliver(integrations: ["other"], since: now, now: now + 5_000, actor: "ops", dryRun: false).isEmpty)
            #expect(try await store.redeliver(integrations: ["orders"], since: now + 500, now: now + 5_000, actor: "ops", dryRun: false) == ["B"])
            let again = try #require(try await store.message(id: "B"))
            #expect(again.state == .ready && again.lifecycle.attempts == 0)
            #expect(try await store.message(id: "A")?.state == .delivered)
            let audit = try await store.audit(matching: AuditFilter(messageID: "B", kinds: [.replayed]))
            #expect(audit.count == 1 && audit.first?.actor == "ops" && audit.first?.fromState == .delivered)

        case .pruning:
            _ = try await store.enqueue([message("A"), message("B")])
            let leased = try #require(try await store.claim(integration: "orders", limit: 1, now: now, leaseMillis: 60_000, owner: "node-1").first)
            #expect(try await complete(store, leased, .delivered))
            _ = try await store.prune(before: now + 86_400_000, now: now + 86_400_000)
            #expect(try await store.message(id: leased.id) == nil)
            #expect(try await store.message(id: leased.id == "A" ? "B" : "A")?.state == .ready)
        }
    }
}
