import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// The store several hub nodes share: one PostgreSQL database.
///
/// Guarantees, beyond `MessageStore`'s:
/// - Durability: an arrival commits with `synchronous_commit` on, so `enqueue` returns only once
///   PostgreSQL has flushed it (and, with synchronous replication, replicated it). Concurrent
///   arrivals share one transaction through the engine's `GroupCommitter`, and PostgreSQL's own
///   group commit shares the flush between nodes. Leases and outcomes commit with
///   `synchronous_commit` off: a database crash may lose the last of them, which costs a repeated
///   delivery, never a message; WAL is flushed in order, so the next arrival's commit makes them
///   durable too.
/// - Claims take rows with `FOR UPDATE SKIP LOCKED`, so nodes claiming together never wait for one
///   another and never take the same message. Per-key order holds across nodes: a message with an
///   ordering key is claimable only while no earlier message of its key is unfinished and no
///   message of its key (earlier or not: two nodes may commit arrivals out of sequence order) is
///   leased.
/// - A failed statement (a serialization failure, a deadlock, the database restarting) rolls its
///   transaction back whole; serialization failures and deadlocks are retried up to three times.
///   Connections are re-established by the pool; an operation that fails meanwhile throws, and the
///   engine's callers retry as they do for SQLite (a webhook is answered 503, a claim waits).
///
/// Times are the nodes' clocks (epoch milliseconds, as the engine passes them): keep the nodes'
/// clocks synchronised (NTP), as leases and retry times compare them.
public final class PostgresMessageStore: MessageStore, Sendable {
    /// Connections whose commits wait for the flush: arrivals and everything but leases and outcomes.
    let client: PostgresClient
    /// Connections opened with `synchronous_commit` off, for leases and outcomes: a quarter of the
    /// pool, at least two. Their transactions save the `SET LOCAL` a round trip would cost.
    let lazyClient: PostgresClient
    private let runner: Task<Void, Never>
    private let migrated: Task<Void, any Error>
    let logger: Logger
    /// The database, password redacted, for messages.
    public let address: String
    /// When `claim` last looked for expired leases, per integration.
    private let leaseSweeps = Mutex<[String: Int64]>([:])

    /// Connects (lazily, through pools of at most `poolSize` connections in all) and migrates the
    /// schema forward in the background; `prepare()` waits for both and says why not.
    public init(url: PostgresURL, poolSize: Int = 10, logger: Logger = Logger(label: "switchboard.postgres")) throws {
        var configuration: PostgresClient.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            configuration = .init(
                host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password, database: url.database,
                tls: try Self.tls(url))
        }
        let lazyConnections = max(2, poolSize / 4)
        configuration.options.maximumConnections = max(1, poolSize - lazyConnections)
        configuration.options.connectTimeout = .seconds(5)
        // Prepared statements (`HotStatements`) are planned once per connection.
        configuration.options.additionalStartupParameters = [("application_name", "switchboard"), ("plan_cache_mode", "force_generic_plan")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        configuration.options.maximumConnections = lazyConnections
        configuration.options.additionalStartupParameters.append(("synchronous_commit", "off"))
        let lazyClient = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.lazyClient = lazyClient
        self.logger = logger
        self.address = url.description
        runner = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                group.addTask { await lazyClient.run() }
            }
        }
        migrated = Task { [logger] in try await PostgresMigrator.migrate(client, logger: logger) }
    }

    deinit { runner.cancel() }

    static func tls(_ url: PostgresURL) throws -> PostgresClient.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let root = url.rootCertificate { configuration.trustRoots = .file(root) }
        switch url.tls {
        case .disable: return .disable
        case .prefer:
            configuration.certificateVerification = .none
            return .prefer(configuration)
        case .require:
            configuration.certificateVerification = .none
            return .require(configuration)
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(configuration)
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(configuration)
        }
    }

    /// Waits until the database answers and the schema is current; throws a sentence naming the
    /// database and what PostgreSQL said.
    public func prepare() async throws {
        do {
            try await migrated.value
        } catch {
            throw PostgresStoreError("cannot open the PostgreSQL store \(address): \(PostgresStoreError.describe(error))")
        }
    }

    /// Closes the pool's connections.
    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// The columns `message(_:)` reads, in this order.
    static let columns =
        "seq, id, integration, state, attempts, available_at, lease_token, lease_expires_at, ordering_key, idempotency_key, payload, received_at, updated_at, last_status, last_error, interruptions, traceparent, lease_owner"

    typealias MessageRow = (
        Int64, String, String, Int16, Int32, Int64, String?, Int64?, String?, String?, ByteBuffer, Int64, Int64, Int32?, String?, Int32, String?,
        String?
    )

    static func message(_ row: PostgresRow) throws -> Message {
        let c = try row.decode(MessageRow.self)
        let lifecycle = MessageLifecycle(
            state: MessageState(rawValue: Int(c.3)) ?? .ready, attempts: Int(c.4), availableAt: c.5, leaseExpiresAt: c.7,
            interruptions: Int(c.15))
        return Message(
            id: c.1, integration: c.2, sequence: c.0, lifecycle: lifecycle, payload: Array(buffer: c.10), orderingKey: c.8,
            idempotencyKey: c.9, receivedAt: c.11, updatedAt: c.12, leaseToken: c.6, lastError: c.14, lastStatus: c.13.map(Int.init),
            traceparent: c.16, leaseOwner: c.17)
    }

    // MARK: Transactions

    /// Runs `body` in one transaction on one connection, retrying it whole after a serialization
    /// failure or a deadlock (up to three times). `durable: false` commits without waiting for
    /// the flush (`synchronous_commit = off`).
    func transaction<T: Sendable>(durable: Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await prepare()
        return try await bounded { try await self.retrying(durable: durable, explicit: true, body) }
    }

    /// Runs one prepared statement as its own transaction (no `BEGIN` and `COMMIT`: one round trip
    /// instead of three), retried like `transaction`, and collects its rows.
    func statement<Statement: PostgresPreparedStatement>(durable: Bool, _ statement: Statement) async throws -> [Statement.Row]
    where Statement.Row: Sendable {
        try await prepare()
        return try await bounded { [self] in
            try await retrying(durable: durable, explicit: false) { [logger] connection in
                try await connection.execute(statement, logger: logger).reduce(into: []) { $0.append($1) }
            }
        }
    }

    /// Longest one operation may take before it fails with a sentence: 15 s. A connection that
    /// died under a statement (the database restarted) was seen to leave its caller waiting for
    /// ever; past the deadline the caller goes on (a webhook is answered 503, a claim is tried
    /// again) and whatever the abandoned statement did is rolled back with its connection or,
    /// if it committed after all, is what at-least-once delivery allows (a message stored but
    /// not acknowledged, a lease that expires).
    static let operationDeadline: Duration = .seconds(15)

    func bounded<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = OneShot<Result<T, any Error>>()
        let work = Task {
            do { outcome.send(.success(try await operation())) } catch { outcome.send(.failure(error)) }
        }
        let address = address
        let timer = Task {
            try await Task.sleep(for: Self.operationDeadline)
            work.cancel()
            outcome.send(.failure(PostgresStoreError("the PostgreSQL store \(address) did not answer within \(Self.operationDeadline)")))
        }
        defer { timer.cancel() }
        return try await outcome.receive().get()
    }

    private func retrying<T: Sendable>(durable: Bool, explicit: Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> T)
        async throws -> T
    {
        var attempt = 0
        let (address, logger) = (address, logger)
        while true {
            attempt += 1
            do {
                return try await (durable ? client : lazyClient).withConnection { connection in
                    do {
                        return try await connection.whileOpen(address: address) {
                            guard explicit else { return try await body(connection) }
                            try await connection.query("BEGIN", logger: logger)
                            let result = try await body(connection)
                            try await connection.query("COMMIT", logger: logger)
                            return result
                        }
                    } catch {
                        if explicit { await Self.rollBack(connection, after: error, logger: logger) }
                        throw error
                    }
                }
            } catch let error as PSQLError where attempt < 4 && PostgresStoreError.isRetryable(error) {
                continue
            } catch let error as PSQLError {
                throw PostgresStoreError("the PostgreSQL store \(address): \(PostgresStoreError.describe(error))")
            }
        }
    }

    /// Ends a transaction that failed. When the connection is gone (the database restarted or
    /// failed over) the server has rolled back already, and a statement sent on a closed
    /// connection is never answered (see `whileOpen`). Then, and when `ROLLBACK` itself does not
    /// answer within 2 s, the connection is closed, which rolls back on the server and takes it
    /// out of the pool.
    static func rollBack(_ connection: PostgresConnection, after error: any Error, logger: Logger) async {
        if connection.isClosed || PostgresStoreError.isConnectionLost(error) || error is PostgresStoreError {
            try? await connection.close()
            return
        }
        let answered = OneShot<Bool>()
        let rollback = Task {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            answered.send(true)
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(2))
            answered.send(false)
        }
        if await answered.receive() == false {
            rollback.cancel()
            try? await connection.close()
        }
        timer.cancel()
    }

    /// Runs one statement outside a transaction and collects its rows.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await prepare()
        do {
            return try await bounded { [client, logger, address] in
                try await client.withConnection { connection in
                    try await connection.whileOpen(address: address) { try await connection.query(query, logger: logger).collect() }
                }
            }
        } catch let error as PSQLError {
            throw PostgresStoreError("the PostgreSQL store \(address): \(PostgresStoreError.describe(error))")
        }
    }

    // MARK: Arrivals

    public func checkpoint(source: String) async throws -> String? {
        try await rows("SELECT position FROM source_checkpoints WHERE source = \(source)").first?.decode(String.self)
    }

    public func enqueue(_ messages: [NewMessage], checkpoint: SourceCheckpoint?) async throws -> [EnqueueResult] {
        guard !messages.isEmpty || checkpoint != nil else { return [] }
        if checkpoint == nil && messages.allSatisfy({ $0.idempotencyKey == nil }) {
            // Webhooks without idempotency keys, the common case: the messages and their audit in
            // one statement, one round trip.
            let (rows, payloads) = Self.arrivals(messages)
            _ = try await statement(
                durable: true,
                HotStatements.StoreArrivals(rows: rows, payloads: payloads, audit: Self.auditJSON(messages.map(MessageTransitions.received))))
            return messages.map { .accepted(id: $0.id) }
        }
        return try await transaction(durable: true) { [self] connection in
            if let checkpoint {
                if let previous = checkpoint.previous {
                    // Locks the row (or, for a first position, the source's name) until the commit.
                    try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(checkpoint.source), 0))", logger: logger)
                    let saved = try await connection.query(
                        "SELECT position FROM source_checkpoints WHERE source = \(checkpoint.source)", logger: logger
                    ).collect().first?.decode(String.self)
                    guard saved == previous else { throw CheckpointMoved(source: checkpoint.source) }
                }
                try await connection.query(
                    """
                    INSERT INTO source_checkpoints (source, position) VALUES (\(checkpoint.source), \(checkpoint.position))
                    ON CONFLICT (source) DO UPDATE SET position = EXCLUDED.position
                    """, logger: logger)
            }
            // Within one batch, the first message of a key decides; later ones are its duplicates.
            var results = [EnqueueResult?](repeating: nil, count: messages.count)
            var firstOfKey: [IdempotencyKey: Int] = [:]
            for (index, message) in messages.enumerated() {
                guard let key = message.idempotencyKey else { continue }
                let identity = IdempotencyKey(integration: message.integration, key: key)
                if firstOfKey[identity] == nil { firstOfKey[identity] = index }
            }
            var duplicateOf: [IdempotencyKey: String] = [:]
            if !firstOfKey.isEmpty {
                // Sorted, so that two nodes upserting the same keys lock them in one order.
                let keys = firstOfKey.sorted { ($0.key.integration, $0.key.key) < ($1.key.integration, $1.key.key) }
                let firsts = keys.map { messages[$0.value] }
                let claimed = try await connection.query(
                    """
                    INSERT INTO idempotency_keys (integration, key, message_id, seen_at, expires_at)
                    SELECT * FROM unnest(\(firsts.map(\.integration))::text[], \(firsts.map { $0.idempotencyKey ?? "" })::text[],
                        \(firsts.map(\.id))::text[], \(firsts.map(\.receivedAt))::bigint[],
                        \(firsts.map { $0.receivedAt + $0.idempotencyWindowMillis })::bigint[])
                    ON CONFLICT (integration, key) DO UPDATE
                        SET message_id = EXCLUDED.message_id, seen_at = EXCLUDED.seen_at, expires_at = EXCLUDED.expires_at
                        WHERE idempotency_keys.expires_at <= EXCLUDED.seen_at
                    RETURNING message_id
                    """, logger: logger
                ).collect()
                let accepted = Set(try claimed.map { try $0.decode(String.self) })
                let refused = firsts.filter { !accepted.contains($0.id) }
                if !refused.isEmpty {
                    for row in try await connection.query(
                        """
                        SELECT k.integration, k.key, k.message_id FROM idempotency_keys k
                        JOIN unnest(\(refused.map(\.integration))::text[], \(refused.map { $0.idempotencyKey ?? "" })::text[]) AS r(integration, key)
                          ON k.integration = r.integration AND k.key = r.key
                        """, logger: logger
                    ).collect() {
                        let (integration, key, id) = try row.decode((String, String, String).self)
                        duplicateOf[IdempotencyKey(integration: integration, key: key)] = id
                    }
                }
            }
            var stored: [NewMessage] = []
            for (index, message) in messages.enumerated() {
                if let key = message.idempotencyKey {
                    let identity = IdempotencyKey(integration: message.integration, key: key)
                    if let original = duplicateOf[identity] {
                        results[index] = .duplicate(ofID: original)
                        continue
                    }
                    if let first = firstOfKey[identity], first != index {
                        results[index] = .duplicate(ofID: messages[first].id)
                        continue
                    }
                }
                results[index] = .accepted(id: message.id)
                stored.append(message)
            }
            if !stored.isEmpty {
                try await Self.insert(stored, connection, logger: logger)
                try await Self.insert(stored.map(MessageTransitions.received), connection, logger: logger)
            }
            return results.map { $0! }
        }
    }

    struct IdempotencyKey: Hashable {
        var integration: String
        var key: String
    }

    static func insert(_ messages: [NewMessage], _ connection: PostgresConnection, logger: Logger) async throws {
        let (rows, payloads) = arrivals(messages)
        try await connection.query(
            "\(unescaped: insertArrivals.head)\(rows)\(unescaped: insertArrivals.payloads)\(payloads)\(unescaped: insertArrivals.tail)", logger: logger)
    }

    /// New messages as `insertArrivals` reads them: their columns as a JSON array, their payloads.
    static func arrivals(_ messages: [NewMessage]) -> (rows: String, payloads: [ByteBuffer]) {
        let rows = JSONValue.array(
            messages.map { message in
                .object([
                    "id": .string(message.id), "integration": .string(message.integration), "received_at": .int(message.receivedAt),
                    "ordering_key": jsonOrNull(message.orderingKey),
                    "idempotency_key": jsonOrNull(message.idempotencyKey),
                    "traceparent": jsonOrNull(message.traceparent),
                ])
            })
        return (rows.jsonString, messages.map { ByteBuffer(bytes: $0.payload) })
    }

    /// `head`, the rows (`arrivals`), `payloads`, the payloads, `tail`: an `INSERT` of new messages
    /// to compose into a statement. The sequence is taken in arrival order: the outer `SELECT`
    /// reads the inner one in order.
    static let insertArrivals = (
        head: """
            INSERT INTO messages (seq, id, integration, state, attempts, available_at, ordering_key, idempotency_key, payload, received_at, updated_at, traceparent)
            SELECT nextval('messages_seq'), id, integration, 0, 0, received_at, ordering_key, idempotency_key, payload, received_at, received_at, traceparent
            FROM (
                SELECT r.* FROM ROWS FROM (
                    jsonb_to_recordset(
            """,
        payloads: """
            ::jsonb) AS (id text, integration text, received_at bigint, ordering_key text, idempotency_key text, traceparent text),
                    unnest(
            """,
        tail: """
            ::bytea[])
                ) WITH ORDINALITY AS r(id, integration, received_at, ordering_key, idempotency_key, traceparent, payload, n)
                ORDER BY r.n
            ) AS arrivals
            """
    )

    static func insert(_ records: [AuditRecord], _ connection: PostgresConnection, logger: Logger) async throws {
        guard !records.isEmpty else { return }
        try await connection.query(
            "INSERT INTO audit \(unescaped: auditColumns) \(unescaped: auditSelect)\(auditJSON(records))\(unescaped: auditRecordset) ORDER BY r.n",
            logger: logger)
    }

    /// The audit table's columns an insert names, in the order `auditSelect` reads them.
    static let auditColumns = "(at, message_id, integration, kind, from_state, to_state, attempt, status, duration_ms, detail, actor, revision, request)"

    /// `auditSelect`, the records as JSON (`auditJSON`), `auditRecordset`: a `SELECT` of audit
    /// rows (`r`, numbered `r.n` in their order) to compose into a statement.
    static let auditSelect = """
        SELECT r.at, r.message_id, r.integration, r.kind, r.from_state, r.to_state, r.attempt, r.status, r.duration_ms, r.detail, r.actor,
            r.revision, r.request
        FROM ROWS FROM (jsonb_to_recordset(
        """
    static let auditRecordset = """
        ::jsonb) AS (
                at bigint, message_id text, integration text, kind text, from_state smallint, to_state smallint, attempt integer,
                status integer, duration_ms bigint, detail text, actor text, revision text, request text)
        ) WITH ORDINALITY AS r(at, message_id, integration, kind, from_state, to_state, attempt, status, duration_ms, detail, actor, revision, request, n)
        """

    /// Audit records as the JSON array `auditRows` reads.
    static func auditJSON(_ records: [AuditRecord]) -> String {
        JSONValue.array(
            records.map { record in
                .object([
                    "at": .int(record.at), "message_id": .string(record.messageID), "integration": .string(record.integration),
                    "kind": .string(record.kind.rawValue), "from_state": jsonOrNull(record.fromState?.rawValue),
                    "to_state": jsonOrNull(record.toState?.rawValue), "attempt": jsonOrNull(record.attempt), "status": jsonOrNull(record.status),
                    "duration_ms": jsonOrNull(record.durationMillis), "detail": jsonOrNull(record.detail),
                    "actor": .string(record.actor), "revision": jsonOrNull(record.revision),
                    "request": jsonOrNull(record.request),
                ])
            }
        ).jsonString
    }

    // MARK: Leases

    public func claim(integration: String, limit: Int, now: Int64, leaseMillis: Int64, owner: String, maxInterruptions: Int) async throws -> [Message]
    {
        let sweep = leaseSweeps.withLock { sweeps in
            guard now >= (sweeps[integration] ?? .min) + 1_000 else { return false }
            sweeps[integration] = now
            return true
        }
        return try await transaction(durable: false) { [self] connection in
            var rows: [PostgresRow] = []
            if sweep {
                // Leases that expired, and those of a node whose heartbeat stopped (it died: its
                // leases need not wait for their own expiry). Few rows: at most the nodes' concurrency.
                rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM messages_pending AS m
                    WHERE m.integration = \(integration) AND m.state = 1
                      AND (m.lease_expires_at <= \(now) OR EXISTS (
                            SELECT 1 FROM nodes AS n WHERE n.id = split_part(m.lease_owner, '#', 1) AND n.expires_at <= \(now)))
                    ORDER BY m.seq LIMIT \(limit) FOR UPDATE SKIP LOCKED
                    """, logger: logger
                ).collect()
            }
            var messages = try rows.map(Self.message)
            if messages.count < limit {
                let ready = HotStatements.ReadyMessages(integration: integration, now: now, limit: Int64(limit - messages.count))
                for try await message in try await connection.execute(ready, logger: logger) { messages.append(message) }
            }
            var claimed: [Message] = []
            var audit: [AuditRecord] = []
            var leased: (seqs: [Int64], tokens: [String], expires: [Int64], interruptions: [Int]) = ([], [], [], [])
            for var message in messages {
                // A lease of a dead node counts as expired now.
                if message.state == .leased, let expires = message.lifecycle.leaseExpiresAt, expires > now {
                    let held = message.lifecycle
                    message.lifecycle = MessageLifecycle(
                        state: held.state, attempts: held.attempts, availableAt: held.availableAt, leaseExpiresAt: now, interruptions: held.interruptions)
                }
                guard let change = MessageTransitions.lease(message, now: now, duration: leaseMillis, maxInterruptions: maxInterruptions) else {
                    continue
                }
                guard change.lifecycle.state == .leased else {
                    // Taken over too often: dead as a poison message, not handed out.
                    try await Self.settle(message, change, now: now, connection, logger: logger)
                    continue
                }
                let token = MessageID.make(now: now)
                message.lifecycle = change.lifecycle
                message.leaseToken = token
                message.leaseOwner = owner
                leased.seqs.append(message.sequence)
                leased.tokens.append(token)
                leased.expires.append(change.lifecycle.leaseExpiresAt ?? now + leaseMillis)
                leased.interruptions.append(change.lifecycle.interruptions)
                audit.append(change.audit)
                claimed.append(message)
            }
            if !claimed.isEmpty {
                try await connection.execute(
                    HotStatements.Lease(
                        owner: owner, now: now, seqs: leased.seqs, tokens: leased.tokens, expires: leased.expires,
                        interruptions: leased.interruptions.map(Int32.init), audit: Self.auditJSON(audit)),
                    logger: logger)
            }
            return claimed
        }
    }

    public func complete(_ completions: [Completion]) async throws -> [Bool] {
        guard !completions.isEmpty else { return [] }
        let rows = JSONValue.array(
            completions.map { completion in
                let lifecycle = completion.lifecycle
                return .object([
                    "id": .string(completion.messageID), "token": .string(completion.leaseToken),
                    "state": .int(Int64(lifecycle.state.rawValue)), "attempts": .int(Int64(lifecycle.attempts)),
                    "available_at": .int(lifecycle.availableAt), "updated_at": .int(completion.audit.last?.at ?? lifecycle.availableAt),
                    "last_status": jsonOrNull(completion.lastStatus), "last_error": jsonOrNull(completion.lastError),
                    "interruptions": .int(Int64(lifecycle.interruptions)),
                ])
            })
        let updated = try await statement(
            durable: false,
            HotStatements.Complete(rows: rows.jsonString, ids: completions.map(\.messageID), audit: Self.auditJSON(completions.flatMap(\.audit))))
        let done = Set(updated)
        return completions.map { done.contains($0.messageID) }
    }

    public func releaseLeases(owner: String, now: Int64, recovering maxInterruptions: Int?, keeping: Set<String>) async throws -> Int {
        try await transaction(durable: false) { [self] connection in
            // Recovering takes back the leases of every delivery loop of the node: `owner` and `owner#N`.
            let rows =
                if maxInterruptions == nil {
                    try await connection.query(
                        "SELECT \(unescaped: Self.columns) FROM messages_pending WHERE state = 1 AND lease_owner = \(owner) FOR UPDATE",
                        logger: logger
                    ).collect()
                } else {
                    try await connection.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM messages_pending
                        WHERE state = 1 AND (lease_owner = \(owner) OR starts_with(lease_owner, \(owner + "#"))) FOR UPDATE
                        """, logger: logger
                    ).collect()
                }
            var released = 0
            for row in rows {
                let message = try Self.message(row)
                if keeping.contains(message.id) { continue }
                let change =
                    if let maxInterruptions {
                        MessageTransitions.recoverLease(message, now: now, maxInterruptions: maxInterruptions)
                    } else {
                        MessageTransitions.releaseLease(message, now: now)
                    }
                guard let change else { continue }
                try await Self.settle(message, change, now: now, connection, logger: logger)
                released += 1
            }
            return released
        }
    }

    /// Writes a change that ends a lease (given back, or dead as poison) and its audit record.
    static func settle(_ message: Message, _ change: MessageTransitions.Change, now: Int64, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        let error = change.lifecycle.state == .dead ? change.audit.detail : nil
        try await connection.query(
            """
            UPDATE messages SET state = \(Int16(change.lifecycle.state.rawValue)), available_at = \(change.lifecycle.availableAt),
                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = \(now),
                interruptions = \(change.lifecycle.interruptions), last_error = COALESCE(\(error), last_error)
            WHERE state = 1 AND seq = \(message.sequence)
            """, logger: logger)
        try await insert([change.audit], connection, logger: logger)
    }
}

/// A PostgreSQL store failure, in one sentence.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }

    /// What PostgreSQL or the connection said, without the query's text or binds.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresStoreError { return error.description }
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    /// A serialization failure or a deadlock: the transaction can be run again.
    /// True when the error says the connection itself failed or closed, rather than a statement.
    static func isConnectionLost(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .unexpectedBackendMessage,
            .messageDecodingFailure:
            return true
        case .server:
            // Class 57 (the server is shutting down or crashed) and 08 (connection exception).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("57") || state.hasPrefix("08")
        default:
            return false
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}

/// A nullable column's value in the JSON rows the batched statements read with `jsonb_to_recordset`.
func jsonOrNull(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
func jsonOrNull(_ value: Int64?) -> JSONValue { value.map(JSONValue.int) ?? .null }
func jsonOrNull(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
