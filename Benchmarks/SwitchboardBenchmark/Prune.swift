import Foundation
import SwitchboardEngine
import SwitchboardSQLite
import SwitchboardTesting
import Synchronization

/// A value shared between the stand-in webhook task and the benchmark.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

// `--phases prune [--records N]`: how large the store grows per message, and what pruning a
// day's traffic costs the webhooks that arrive meanwhile. It fills a real SQLite store with N
// delivered messages (each with its received, leased and delivered audit records) and their
// idempotency keys, copies it, and prunes everything once in batches (as the hub does now) and
// once in a single transaction (as it did), while a stand-in webhook stores a message every
// 10 ms and times each store call.

/// Bytes of the store's files (the database, its WAL and shared memory).
func storeBytes(_ path: String) -> Int {
    [path, path + "-wal", path + "-shm"].reduce(0) { total, file in
        total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
    }
}

func fillStore(_ store: SQLiteMessageStore, records: Int, at time: Int64) async throws {
    let payload = Array(String(repeating: "x", count: 400).utf8)
    var next = 0
    while next < records {
        let count = min(1_000, records - next)
        let messages = (next..<next + count).map { n in
            NewMessage(
                id: "M\(n)", integration: "orders", payload: payload, orderingKey: nil, idempotencyKey: "K\(n)",
                idempotencyWindowMillis: 3_600_000, receivedAt: time)
        }
        _ = try await store.enqueue(messages)
        let claimed = try await store.claim(integration: "orders", limit: count, now: time, leaseMillis: 60_000, owner: "bench")
        let completions = claimed.map { message in
            var lifecycle = message.lifecycle
            _ = try? lifecycle.apply(.delivered)
            let audit = AuditRecord(
                at: time, messageID: message.id, integration: "orders", kind: .delivered, fromState: .leased, toState: .delivered, attempt: 1,
                status: 200, durationMillis: 5)
            return Completion(
                messageID: message.id, leaseToken: message.leaseToken ?? "", lifecycle: lifecycle, lastStatus: 200, lastError: nil, audit: [audit])
        }
        _ = try await store.complete(completions)
        next += count
    }
}

/// Prunes everything in `store` while a message is stored every 10 ms; the longest store call
/// and the whole prune's time in milliseconds, the rows removed and the files' size after.
func pruneUnderLoad(
    _ store: SQLiteMessageStore, path: String, batch: Int?, at time: Int64
) async throws -> (
    longestMillis: Double, pruneMillis: Double, removed: Int, bytesAfter: Int
) {
    let stop = Shared(false)
    let longest = Shared(0.0)
    let webhooks = Task {
        var n = 0
        while !stop.withLock({ $0 }) {
            let started = ContinuousClock.now
            _ = try await store.enqueue([
                NewMessage(
                    id: "W\(n)-\(batch ?? 0)", integration: "webhooks", payload: Array(#"{"n":1}"#.utf8), orderingKey: nil, idempotencyKey: nil,
                    idempotencyWindowMillis: 0, receivedAt: time + 10_000_000)
            ])
            let millis =
                Double((ContinuousClock.now - started).components.attoseconds) / 1e15 + Double((ContinuousClock.now - started).components.seconds)
                * 1e3
            longest.withLock { $0 = max($0, millis) }
            n += 1
            try await Task.sleep(for: .milliseconds(10))
        }
    }
    try await Task.sleep(for: .milliseconds(200))
    let started = ContinuousClock.now
    var removed = 0
    if let batch {
        while case let count = try await store.prune(before: time + 86_400_000, now: time + 86_400_000, limit: batch), count > 0 {
            removed += count
            await Task.yield()
        }
        try await store.reclaimSpace()
    } else {
        removed = try await store.prune(before: time + 86_400_000, now: time + 86_400_000, limit: Int.max / 2)
    }
    let elapsed = ContinuousClock.now - started
    try await Task.sleep(for: .milliseconds(200))
    stop.withLock { $0 = true }
    _ = try await webhooks.value
    let pruneMillis = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
    return (longest.withLock { $0 }, pruneMillis, removed, storeBytes(path))
}

func pruneBenchmark(records: Int) async throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.url.appendingPathComponent("state.sqlite").path
    let time: Int64 = 1_700_000_000_000
    let filling = ContinuousClock.now
    do {
        let store = try SQLiteMessageStore(path: path, durability: .normal)
        try await fillStore(store, records: records, at: time)
        try await store.reclaimSpace()
    }
    let bytes = storeBytes(path)
    print(
        "prune:      \(records) delivered messages (400-byte payloads, 3 audit records and an idempotency key each) fill \(bytes / 1_048_576) MB "
            + "(\(bytes / records) bytes a message; \(Int(Double(bytes) / Double(records) * 1_000_000 / 1_048_576)) MB a million), filled in \(ContinuousClock.now - filling)"
    )
    let copy = directory.url.appendingPathComponent("copy.sqlite").path
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    for (label, file, batch) in [("batches of \(Housekeeping.pruneBatch)", path, Housekeeping.pruneBatch as Int?), ("one transaction", copy, nil)] {
        let store = try SQLiteMessageStore(path: file, durability: .full)
        let result = try await pruneUnderLoad(store, path: file, batch: batch, at: time)
        print(
            "prune:      \(label): \(result.removed) rows in \(Int(result.pruneMillis)) ms; longest webhook store meanwhile \(Int(result.longestMillis)) ms; files after \(result.bytesAfter / 1_048_576) MB (WAL \((storeBytes(file) - ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)) / 1_048_576) MB)"
        )
    }
}
