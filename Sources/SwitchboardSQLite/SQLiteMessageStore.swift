import Foundation
import GRDB
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// The embedded store: one SQLite file in WAL mode, shared safely by a running hub and the CLI.
///
/// Durability: with `.full` (the default) every commit is fsynced before `enqueue` returns
/// (`PRAGMA synchronous = FULL`); `.normal` survives a crash of the process but may lose the last
/// commits on power loss. Concurrent arrivals share one commit through `GroupCommitter`.
///
/// Persistence only: every change to a message's lifecycle and the audit record that goes with it
/// come from the engine (`MessageTransitions` for claims, releases, replays and discards;
/// `Completion`s for the outcomes of deliveries).
///
/// Leases and outcomes (`claim`, `complete`, `releaseLeases`, `prune`) commit without their own
/// fsync: losing one to a power cut costs a repeated delivery, which at-least-once allows, never a
/// message; the next durable commit (an arrival) syncs them with it, since WAL frames reach the disk
/// in order.
/// One `DatabasePool` per file per process; other processes wait up to 10 s for the write lock.
public final class SQLiteMessageStore: MessageStore {
    let pool: DatabasePool
    public let path: String
    private let synchronous: String
    /// When `claim` last looked for expired leases, per integration (the `now` it was given).
    private let leaseSweeps = Mutex<[String: Int64]>([:])
    /// How often `claim` looks for leases that expired: 1 s, so a crashed worker's messages are
    /// picked up at most this long after their lease ends.
    static let leaseSweepMillis: Int64 = 1_000

    /// Opens (creating if needed) the store at `path`, creating its folder, and migrates it forward.
    public init(path: String, durability: StoreSettings.Durability = .full) throws {
        self.path = path
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "switchboard"
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets the writer to NORMAL when it enables WAL; state the durability explicitly.
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        self.synchronous = synchronous
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        try SQLiteSchema.migrator.migrate(pool)
    }

    /// The columns `message(_:)` reads, in this order: every query that builds a `Message` selects these.
    static let columns =
        "seq, id, integration, state, attempts, available_at, lease_token, lease_expires_at, ordering_key, idempotency_key, payload, received_at, updated_at, last_status, last_error, interruptions, traceparent, lease_owner"

    /// A write transaction whose commit is not fsynced on its own (see the type's documentation).
    func writeWithoutSync<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let restore = "PRAGMA synchronous = \(synchronous)"
        return try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: restore) }
            var result: T?
            try db.inTransaction {
                result = try updates(db)
                return .commit
            }
            return result!
        }
    }

    /// A row selected with `columns`, read by position: GRDB's lookup by name compares names
    /// case-insensitively on every access, which showed in the claim's profile.
    static func message(_ row: Row) -> Message {
        let lifecycle = MessageLifecycle(
            state: MessageState(rawValue: row[3]) ?? .ready, attempts: row[4], availableAt: row[5], leaseExpiresAt: row[7],
            interruptions: row[15])
        return Message(
            id: row[1], integration: row[2], sequence: row[0], lifecycle: lifecycle,
            payload: [UInt8](row[10] as Data), orderingKey: row[8], idempotencyKey: row[9],
            receivedAt: row[11], updatedAt: row[12], leaseToken: row[6], lastError: row[14], lastStatus: row[13], traceparent: row[16],
            leaseOwner: row[17])
    }

    static func insert(_ record: AuditRecord, _ db: Database) throws {
        // Cached: prepared once per connection, not on every record (the hot path writes several per message).
        try db.cachedStatement(
            sql:
                "INSERT INTO audit (at, message_id, integration, kind, from_state, to_state, attempt, status, duration_ms, detail, actor, revision, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        .execute(arguments: [
            record.at, record.messageID, record.integration, record.kind.rawValue, record.fromState?.rawValue, record.toState?.rawValue,
            record.attempt, record.status, record.durationMillis, record.detail, record.actor, record.revision, record.request,
        ])
    }

    public func checkpoint(source: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT position FROM source_checkpoints WHERE source = ?", arguments: [source])
        }
    }

    public func enqueue(_ messages: [NewMessage], checkpoint: SourceCheckpoint?) async throws -> [EnqueueResult] {
        try await pool.write { db in
            if let checkpoint {
                if let previous = checkpoint.previous {
                    let saved = try String.fetchOne(db, sql: "SELECT position FROM source_checkpoints WHERE source = ?", arguments: [checkpoint.source])
                    guard saved == previous else { throw CheckpointMoved(source: checkpoint.source) }
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO source_checkpoints (source, position) VALUES (?, ?)",
                    arguments: [checkpoint.source, checkpoint.position])
            }
            var results: [EnqueueResult] = []
            results.reserveCapacity(messages.count)
            let insertMessage = try db.cachedStatement(
                sql: """
                    INSERT INTO messages (id, integration, state, attempts, available_at, ordering_key, idempotency_key, payload, received_at, updated_at, traceparent)
                    VALUES (?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for message in messages {
                if let key = message.idempotencyKey {
                    let existing = try String.fetchOne(
                        db, sql: "SELECT message_id FROM idempotency_keys WHERE integration = ? AND key = ? AND expires_at > ?",
                        arguments: [message.integration, key, message.receivedAt])
                    if let existing {
                        results.append(.duplicate(ofID: existing))
                        continue
                    }
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO idempotency_keys (integration, key, message_id, expires_at) VALUES (?, ?, ?, ?)",
                        arguments: [message.integration, key, message.id, message.receivedAt + message.idempotencyWindowMillis])
                }
                try insertMessage.execute(arguments: [
                    message.id, message.integration, message.receivedAt, message.orderingKey, message.idempotencyKey,
                    Data(message.payload), message.receivedAt, message.receivedAt, message.traceparent,
                ])
                try Self.insert(MessageTransitions.received(message), db)
                results.append(.accepted(id: message.id))
            }
            return results
        }
    }

    public func claim(integration: String, limit: Int, now: Int64, leaseMillis: Int64, owner: String, maxInterruptions: Int) async throws -> [Message]
    {
        let sweep = leaseSweeps.withLock { sweeps in
            guard now >= (sweeps[integration] ?? .min) + Self.leaseSweepMillis else { return false }
            sweeps[integration] = now
            return true
        }
        return try await writeWithoutSync { db in
            var rows: [Row] = []
            if sweep {
                // Leases held by a worker that crashed or hung; few rows (at most the integration's concurrency per node).
                rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT \(Self.columns) FROM messages INDEXED BY messages_state
                            WHERE integration = ? AND state = 1 AND lease_expires_at <= ? ORDER BY seq LIMIT ?
                            """), arguments: [integration, now, limit])
            }
            if rows.count < limit {
                rows += try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT \(Self.columns) FROM messages AS m INDEXED BY messages_ready
                            WHERE m.integration = ? AND m.state IN (0, 3) AND m.available_at <= ?
                              AND (m.ordering_key IS NULL OR NOT EXISTS (
                                    SELECT 1 FROM messages AS p INDEXED BY messages_ordering
                                    WHERE p.integration = m.integration AND p.ordering_key = m.ordering_key AND p.seq < m.seq AND p.state IN (0, 1, 3)))
                            ORDER BY m.seq
                            LIMIT ?
                            """), arguments: [integration, now, limit - rows.count])
            }
            var claimed: [Message] = []
            for row in rows {
                var message = Self.message(row)
                guard let change = MessageTransitions.lease(message, now: now, duration: leaseMillis, maxInterruptions: maxInterruptions) else {
                    continue
                }
                guard change.lifecycle.state == .leased else {
                    // Taken over too often: dead as a poison message, not handed out.
                    try Self.settle(message, change, now: now, db)
                    continue
                }
                let token = MessageID.make(now: now)
                message.lifecycle = change.lifecycle
                message.leaseToken = token
                message.leaseOwner = owner
                try db.cachedStatement(
                    sql:
                        "UPDATE messages SET state = ?, lease_owner = ?, lease_token = ?, lease_expires_at = ?, updated_at = ?, interruptions = ? WHERE seq = ?"
                )
                .execute(arguments: [
                    change.lifecycle.state.rawValue, owner, token, change.lifecycle.leaseExpiresAt, now, change.lifecycle.interruptions,
                    message.sequence,
                ])
                try Self.insert(change.audit, db)
                claimed.append(message)
            }
            return claimed
        }
    }

    public func complete(_ completions: [Completion]) async throws -> [Bool] {
        try await writeWithoutSync { db in
            try completions.map { completion in
                let lifecycle = completion.lifecycle
                try db.cachedStatement(
                    sql: """
                        UPDATE messages SET state = ?, attempts = ?, available_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                            updated_at = ?, last_status = ?, last_error = ?, interruptions = ?
                        WHERE id = ? AND state = 1 AND lease_token = ?
                        """
                ).execute(arguments: [
                    lifecycle.state.rawValue, lifecycle.attempts, lifecycle.availableAt, completion.audit.last?.at ?? lifecycle.availableAt,
                    completion.lastStatus, completion.lastError, lifecycle.interruptions, completion.messageID, completion.leaseToken,
                ])
                guard db.changesCount == 1 else { return false }
                for record in completion.audit { try Self.insert(record, db) }
                return true
            }
        }
    }

    public func releaseLeases(owner: String, now: Int64, recovering maxInterruptions: Int?, keeping: Set<String>) async throws -> Int {
        try await writeWithoutSync { db in
            // Recovering takes back the leases of every delivery loop of the node: `owner` and `owner#N`.
            let leased = try Row.fetchAll(
                db,
                sql: maxInterruptions == nil
                    ? "SELECT \(Self.columns) FROM messages WHERE state = 1 AND lease_owner = ?"
                    : "SELECT \(Self.columns) FROM messages WHERE state = 1 AND (lease_owner = ? OR substr(lease_owner, 1, length(?) + 1) = ? || '#')",
                arguments: maxInterruptions == nil ? [owner] : [owner, owner, owner]
            ).map(Self.message)
            var released = 0
            for message in leased where !keeping.contains(message.id) {
                let change =
                    if let maxInterruptions {
                        MessageTransitions.recoverLease(message, now: now, maxInterruptions: maxInterruptions)
                    } else {
                        MessageTransitions.releaseLease(message, now: now)
                    }
                guard let change else { continue }
                try Self.settle(message, change, now: now, db)
                released += 1
            }
            return released
        }
    }

    /// Writes a change that makes a finished or dead message ready again (replay, redelivery) and its audit record.
    static func reopen(_ message: Message, _ change: MessageTransitions.Change, now: Int64, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE messages SET state = ?, attempts = ?, available_at = ?, updated_at = ?, interruptions = ? WHERE seq = ?",
            arguments: [
                change.lifecycle.state.rawValue, change.lifecycle.attempts, change.lifecycle.availableAt, now, change.lifecycle.interruptions,
                message.sequence,
            ])
        try insert(change.audit, db)
    }

    /// Writes a change that ends a lease (given back, or dead as poison) and its audit record.
    static func settle(_ message: Message, _ change: MessageTransitions.Change, now: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE messages SET state = ?, available_at = ?, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = ?,
                    interruptions = ?, last_error = COALESCE(?, last_error)
                WHERE seq = ?
                """
        ).execute(arguments: [
            change.lifecycle.state.rawValue, change.lifecycle.availableAt, now, change.lifecycle.interruptions,
            change.lifecycle.state == .dead ? change.audit.detail : nil, message.sequence,
        ])
        try insert(change.audit, db)
    }

    public func message(id: String) async throws -> Message? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM messages WHERE id = ?", arguments: [id]).map(Self.message)
        }
    }

    static func whereClause(_ filter: MessageFilter, ids: [String]? = nil) -> (String, StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let integration = filter.integration { conditions.append("integration = ?"); arguments += [integration] }
        if let states = filter.states, !states.isEmpty {
            conditions.append("state IN (\(states.map { String($0.rawValue) }.joined(separator: ",")))")
        }
        if let since = filter.since { conditions.append("received_at >= ?"); arguments += [since] }
        if let until = filter.until { conditions.append("received_at < ?"); arguments += [until] }
        if let ids { conditions.append("id IN (\(ids.map { _ in "?" }.joined(separator: ",")))"); arguments += StatementArguments(ids) }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), arguments)
    }

    public func messages(matching filter: MessageFilter) async throws -> [Message] {
        try await pool.read { db in
            let (clause, arguments) = Self.whereClause(filter)
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM messages \(clause) ORDER BY seq DESC LIMIT \(max(0, filter.limit))", arguments: arguments
            )
            .map(Self.message)
        }
    }

    public func leaseCounts() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT lease_owner, COUNT(*) FROM messages WHERE state = 1 GROUP BY lease_owner") {
                let owner: String = row[0] ?? ""
                counts[String(owner.split(separator: "#").first ?? ""), default: 0] += row[1] as Int
            }
            return counts
        }
    }

    public func counts() async throws -> [StateCount] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT integration, state, COUNT(*) AS n FROM messages GROUP BY integration, state ORDER BY integration, state"
            ).map {
                StateCount(integration: $0["integration"], state: MessageState(rawValue: $0["state"]) ?? .ready, count: $0["n"])
            }
        }
    }

    public func audit(matching filter: AuditFilter) async throws -> [AuditRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let id = filter.messageID { conditions.append("message_id = ?"); arguments += [id] }
            if let integration = filter.integration { conditions.append("integration = ?"); arguments += [integration] }
            if let kinds = filter.kinds, !kinds.isEmpty { conditions.append("kind IN (\(kinds.map { "'\($0.rawValue)'" }.joined(separator: ",")))") }
            if let since = filter.since { conditions.append("at >= ?"); arguments += [since] }
            if let until = filter.until { conditions.append("at < ?"); arguments += [until] }
            let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM audit \(clause) ORDER BY id DESC LIMIT \(max(0, filter.limit))", arguments: arguments).map(Self.auditRecord)
        }
    }

    /// An audit row selected with `*`.
    static func auditRecord(_ row: Row) -> AuditRecord {
        AuditRecord(
            at: row["at"], messageID: row["message_id"], integration: row["integration"],
            kind: AuditRecord.Kind(rawValue: row["kind"]) ?? .received,
            fromState: (row["from_state"] as Int?).flatMap(MessageState.init(rawValue:)),
            toState: (row["to_state"] as Int?).flatMap(MessageState.init(rawValue:)),
            attempt: row["attempt"], status: row["status"], durationMillis: row["duration_ms"], detail: row["detail"], actor: row["actor"],
            revision: row["revision"], request: row["request"])
    }

    public func replay(matching filter: MessageFilter, ids: [String]?, now: Int64, actor: String) async throws -> [String] {
        try await pool.write { db in
            var deadOnly = filter
            deadOnly.states = [.dead]
            let (clause, arguments) = Self.whereClause(deadOnly, ids: ids)
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM messages \(clause) ORDER BY seq", arguments: arguments)
            var replayed: [String] = []
            for row in rows {
                let message = Self.message(row)
                guard let change = MessageTransitions.replay(message, now: now, actor: actor) else { continue }
                try Self.reopen(message, change, now: now, db)
                replayed.append(message.id)
            }
            return replayed
        }
    }

    public func redeliver(integrations: [String], since: Int64, now: Int64, actor: String, dryRun: Bool) async throws -> [String] {
        guard !integrations.isEmpty else { return [] }
        let marks = integrations.map { _ in "?" }.joined(separator: ",")
        let select = "SELECT \(Self.columns) FROM messages WHERE state = 2 AND integration IN (\(marks)) AND updated_at >= ? ORDER BY seq"
        let arguments = StatementArguments(integrations) + [since]
        if dryRun { return try await pool.read { db in try Row.fetchAll(db, sql: select, arguments: arguments).map { Self.message($0).id } } }
        return try await pool.write { db in
            var redelivered: [String] = []
            for message in try Row.fetchAll(db, sql: select, arguments: arguments).map(Self.message) {
                guard let change = MessageTransitions.redeliver(message, now: now, actor: actor) else { continue }
                try Self.reopen(message, change, now: now, db)
                redelivered.append(message.id)
            }
            return redelivered
        }
    }

    public func discard(matching filter: MessageFilter, ids: [String]?, now: Int64, actor: String, reason: String?) async throws -> [String] {
        try await pool.write { db in
            var deadOnly = filter
            deadOnly.states = [.dead]
            let (clause, arguments) = Self.whereClause(deadOnly, ids: ids)
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM messages \(clause) ORDER BY seq", arguments: arguments)
            var discarded: [String] = []
            for message in rows.map(Self.message) {
                guard let audit = MessageTransitions.discard(message, now: now, actor: actor, reason: reason) else { continue }
                try db.execute(sql: "DELETE FROM messages WHERE seq = ?", arguments: [message.sequence])
                try Self.insert(audit, db)
                discarded.append(message.id)
            }
            return discarded
        }
    }

    public func prune(before cutoff: Int64, now: Int64, limit: Int) async throws -> Int {
        // The integrations, read outside the write transaction: finished messages are found per
        // integration through messages_state (a finished message was received before it finished,
        // so received_at < cutoff bounds the range), never by a scan of the table.
        let integrations = try await pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT integration FROM messages") }
        return try await writeWithoutSync { db in
            try db.execute(
                sql: "DELETE FROM audit WHERE id IN (SELECT id FROM audit INDEXED BY audit_at WHERE at < ? LIMIT ?)", arguments: [cutoff, limit])
            var removed = db.changesCount
            var messages = 0
            for integration in integrations where messages < limit {
                for state in [MessageState.delivered, .filtered] where messages < limit {
                    try db.execute(
                        sql: """
                            DELETE FROM messages WHERE seq IN (
                                SELECT seq FROM messages INDEXED BY messages_state
                                WHERE integration = ? AND state = ? AND received_at < ? AND updated_at < ? LIMIT ?)
                            """, arguments: [integration, state.rawValue, cutoff, cutoff, limit - messages])
                    messages += db.changesCount
                }
            }
            removed += messages
            try db.execute(
                sql: """
                    DELETE FROM idempotency_keys WHERE (integration, key) IN (
                        SELECT integration, key FROM idempotency_keys INDEXED BY idempotency_expiry WHERE expires_at < ? LIMIT ?)
                    """,
                arguments: [now, limit])
            removed += db.changesCount
            return removed
        }
    }

    public func reclaimSpace() async throws {
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Nothing: SQLite reuses the pages of deleted rows, and its WAL is checkpointed as it grows.
    public func tidy() async throws {}
}
