import Logging
import PostgresNIO
import SwitchboardEngine

/// Reading the store, and the operators' changes to dead messages.
extension PostgresMessageStore {
    public func message(id: String) async throws -> Message? {
        try await rows("SELECT \(unescaped: Self.columns) FROM messages WHERE id = \(id) LIMIT 1").first.map(Self.message)
    }

    /// A WHERE clause for `filter` (and `ids`), with its binds.
    static func condition(_ filter: MessageFilter, ids: [String]? = nil, binds: inout PostgresBindings) -> String {
        var conditions: [String] = []
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if let integration = filter.integration { conditions.append("integration = \(bind(integration))") }
        if let states = filter.states, !states.isEmpty { conditions.append("state IN (\(states.map { String($0.rawValue) }.joined(separator: ",")))") }
        if let since = filter.since { conditions.append("received_at >= \(bind(since))") }
        if let until = filter.until { conditions.append("received_at < \(bind(until))") }
        if let ids { conditions.append("id = ANY(\(bind(ids))::text[])") }
        return conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    }

    public func messages(matching filter: MessageFilter) async throws -> [Message] {
        var binds = PostgresBindings()
        let clause = Self.condition(filter, binds: &binds)
        return try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(Self.columns) FROM messages \(clause) ORDER BY seq DESC LIMIT \(max(0, filter.limit))", binds: binds)
        ).map(Self.message)
    }

    public func leaseCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await rows("SELECT split_part(lease_owner, '#', 1), count(*) FROM messages_pending WHERE state = 1 GROUP BY 1") {
            let (node, count) = try row.decode((String, Int64).self)
            counts[node] = Int(count)
        }
        return counts
    }

    public func counts() async throws -> [StateCount] {
        try await rows("SELECT integration, state, count(*) FROM messages GROUP BY integration, state ORDER BY integration, state").map { row in
            let (integration, state, count) = try row.decode((String, Int16, Int64).self)
            return StateCount(integration: integration, state: MessageState(rawValue: Int(state)) ?? .ready, count: Int(count))
        }
    }

    public func audit(matching filter: AuditFilter) async throws -> [AuditRecord] {
        var binds = PostgresBindings()
        var conditions: [String] = []
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if let id = filter.messageID { conditions.append("message_id = \(bind(id))") }
        if let integration = filter.integration { conditions.append("integration = \(bind(integration))") }
        if let kinds = filter.kinds, !kinds.isEmpty { conditions.append("kind = ANY(\(bind(kinds.map(\.rawValue)))::text[])") }
        if let since = filter.since { conditions.append("at >= \(bind(since))") }
        if let until = filter.until { conditions.append("at < \(bind(until))") }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT at, message_id, integration, kind, from_state, to_state, attempt, status, duration_ms, detail, actor, revision, request
            FROM audit \(clause) ORDER BY id DESC LIMIT \(max(0, filter.limit))
            """
        return try await rows(PostgresQuery(unsafeSQL: sql, binds: binds)).map { row in
            let c = try row.decode(
                (Int64, String, String, String, Int16?, Int16?, Int32?, Int32?, Int64?, String?, String, String?, String?).self)
            return AuditRecord(
                at: c.0, messageID: c.1, integration: c.2, kind: AuditRecord.Kind(rawValue: c.3) ?? .received,
                fromState: c.4.flatMap { MessageState(rawValue: Int($0)) }, toState: c.5.flatMap { MessageState(rawValue: Int($0)) },
                attempt: c.6.map(Int.init), status: c.7.map(Int.init), durationMillis: c.8, detail: c.9, actor: c.10, revision: c.11,
                request: c.12)
        }
    }

    /// The dead messages `filter` and `ids` select, locked for this transaction, in arrival order.
    func deadMessages(_ filter: MessageFilter, ids: [String]?, _ connection: PostgresConnection) async throws -> [Message] {
        var deadOnly = filter
        deadOnly.states = [.dead]
        var binds = PostgresBindings()
        let clause = Self.condition(deadOnly, ids: ids, binds: &binds)
        return try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM messages_done \(clause) ORDER BY seq FOR UPDATE", binds: binds), logger: logger
        ).collect().map(Self.message)
    }

    /// Writes a change that makes a dead or delivered message ready again (replay, redelivery)
    /// and its audit record; the row must still be in the state the message was read in.
    static func reopen(_ message: Message, _ change: MessageTransitions.Change, now: Int64, _ connection: PostgresConnection, logger: Logger)
        async throws
    {
        try await connection.query(
            """
            UPDATE messages SET state = \(Int16(change.lifecycle.state.rawValue)), attempts = \(change.lifecycle.attempts),
                available_at = \(change.lifecycle.availableAt), updated_at = \(now), interruptions = \(change.lifecycle.interruptions)
            WHERE state = \(Int16(message.state.rawValue)) AND seq = \(message.sequence)
            """, logger: logger)
        try await insert([change.audit], connection, logger: logger)
    }

    public func replay(matching filter: MessageFilter, ids: [String]?, now: Int64, actor: String) async throws -> [String] {
        try await transaction(durable: true) { [self] connection in
            var replayed: [String] = []
            for message in try await deadMessages(filter, ids: ids, connection) {
                guard let change = MessageTransitions.replay(message, now: now, actor: actor) else { continue }
                try await Self.reopen(message, change, now: now, connection, logger: logger)
                replayed.append(message.id)
            }
            return replayed
        }
    }

    public func redeliver(integrations: [String], since: Int64, now: Int64, actor: String, dryRun: Bool) async throws -> [String] {
        guard !integrations.isEmpty else { return [] }
        let select: PostgresQuery = """
            SELECT \(unescaped: Self.columns) FROM messages_done
            WHERE state = 2 AND integration = ANY(\(integrations)::text[]) AND updated_at >= \(since) ORDER BY seq
            """
        if dryRun { return try await rows(select).map { try Self.message($0).id } }
        return try await transaction(durable: true) { [self] connection in
            var redelivered: [String] = []
            for message in try await connection.query(select + " FOR UPDATE", logger: logger).collect().map(Self.message) {
                guard let change = MessageTransitions.redeliver(message, now: now, actor: actor) else { continue }
                try await Self.reopen(message, change, now: now, connection, logger: logger)
                redelivered.append(message.id)
            }
            return redelivered
        }
    }

    public func discard(matching filter: MessageFilter, ids: [String]?, now: Int64, actor: String, reason: String?) async throws -> [String] {
        try await transaction(durable: true) { [self] connection in
            var discarded: [String] = []
            for message in try await deadMessages(filter, ids: ids, connection) {
                guard let audit = MessageTransitions.discard(message, now: now, actor: actor, reason: reason) else { continue }
                try await connection.query("DELETE FROM messages_done WHERE state = 4 AND seq = \(message.sequence)", logger: logger)
                try await Self.insert([audit], connection, logger: logger)
                discarded.append(message.id)
            }
            return discarded
        }
    }

    public func prune(before cutoff: Int64, now: Int64, limit: Int) async throws -> Int {
        try await transaction(durable: false) { [self] connection in
            var removed = 0
            for query: PostgresQuery in [
                "DELETE FROM audit WHERE id = ANY(ARRAY(SELECT id FROM audit WHERE at < \(cutoff) ORDER BY at LIMIT \(limit)))",
                """
                DELETE FROM messages_done WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM messages_done WHERE state IN (2, 5) AND updated_at < \(cutoff) AND received_at < \(cutoff) LIMIT \(limit)))
                """,
                """
                DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM idempotency_keys WHERE expires_at < \(now) LIMIT \(limit)))
                """,
            ] {
                let rows = try await connection.query(query + " RETURNING 1", logger: logger).collect()
                removed += rows.count
            }
            return removed
        }
    }

    /// PostgreSQL's autovacuum gives back what a prune freed: nothing to do.
    public func reclaimSpace() async throws {}

    /// Dead rows in `messages_pending` past which `tidy()` vacuums it. Default 5,000: every
    /// message leaves three or four behind (stored, leased, finished), and a partition that
    /// churns thousands a second would otherwise wait for autovacuum's next round (a minute by
    /// default, `autovacuum_naptime`), growing by tens of megabytes meanwhile.
    static let vacuumAfterDeadRows = 5_000

    /// Vacuums the pending partition when PostgreSQL's statistics count enough dead rows in it:
    /// a plain `VACUUM`, which takes no lock that claims or arrivals wait for.
    public func tidy() async throws {
        let dead = try await rows("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'messages_pending'").first?.decode(Int64.self) ?? 0
        guard dead >= Self.vacuumAfterDeadRows else { return }
        _ = try await rows("VACUUM messages_pending")
    }
}

extension PostgresQuery {
    static func + (query: PostgresQuery, suffix: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: query.sql + suffix, binds: query.binds)
    }
}
