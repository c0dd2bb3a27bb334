import NIOCore
import PostgresNIO
import SwitchboardEngine
import SwitchboardValues

/// `store migrate`: filling an empty PostgreSQL store from another store.
extension PostgresMessageStore: StoreImporting {
    public func isEmpty() async throws -> Bool {
        let row = try await rows(
            """
            SELECT (SELECT count(*) FROM (SELECT 1 FROM messages LIMIT 1) m) + (SELECT count(*) FROM (SELECT 1 FROM audit LIMIT 1) a)
                 + (SELECT count(*) FROM (SELECT 1 FROM idempotency_keys LIMIT 1) k) + (SELECT count(*) FROM (SELECT 1 FROM source_checkpoints LIMIT 1) c)
                 + (SELECT count(*) FROM (SELECT 1 FROM api_tokens LIMIT 1) t) + (SELECT count(*) FROM (SELECT 1 FROM paused_integrations LIMIT 1) p)
            """)
        return try row.first?.decode(Int64.self) == 0
    }

    public func importMessages(_ messages: [StoredMessage]) async throws {
        guard !messages.isEmpty else { return }
        let rows = JSONValue.array(
            messages.map { stored in
                let m = stored.message
                return .object([
                    "seq": .int(m.sequence), "id": .string(m.id), "integration": .string(m.integration), "state": .int(Int64(m.state.rawValue)),
                    "attempts": .int(Int64(m.lifecycle.attempts)), "available_at": .int(m.lifecycle.availableAt),
                    "lease_owner": jsonOrNull(stored.leaseOwner), "lease_token": jsonOrNull(m.leaseToken), "lease_expires_at": jsonOrNull(m.lifecycle.leaseExpiresAt),
                    "ordering_key": jsonOrNull(m.orderingKey), "idempotency_key": jsonOrNull(m.idempotencyKey), "received_at": .int(m.receivedAt),
                    "updated_at": .int(m.updatedAt), "last_status": jsonOrNull(m.lastStatus), "last_error": jsonOrNull(m.lastError),
                    "interruptions": .int(Int64(m.lifecycle.interruptions)), "traceparent": jsonOrNull(m.traceparent),
                ])
            })
        let payloads = messages.map { ByteBuffer(bytes: $0.message.payload) }
        try await transaction(durable: true) { [self] connection in
            try await connection.query(
                """
                INSERT INTO messages (seq, id, integration, state, attempts, available_at, lease_owner, lease_token, lease_expires_at, ordering_key,
                    idempotency_key, payload, received_at, updated_at, last_status, last_error, interruptions, traceparent)
                SELECT seq, id, integration, state, attempts, available_at, lease_owner, lease_token, lease_expires_at, ordering_key,
                    idempotency_key, payload, received_at, updated_at, last_status, last_error, interruptions, traceparent
                FROM ROWS FROM (
                    jsonb_to_recordset(\(rows.jsonString)::jsonb) AS (
                        seq bigint, id text, integration text, state smallint, attempts integer, available_at bigint, lease_owner text,
                        lease_token text, lease_expires_at bigint, ordering_key text, idempotency_key text, received_at bigint, updated_at bigint,
                        last_status integer, last_error text, interruptions integer, traceparent text),
                    unnest(\(payloads)::bytea[])
                ) AS r(seq, id, integration, state, attempts, available_at, lease_owner, lease_token, lease_expires_at, ordering_key,
                    idempotency_key, received_at, updated_at, last_status, last_error, interruptions, traceparent, payload)
                """, logger: logger)
        }
    }

    public func importAudit(_ records: [AuditRecord]) async throws {
        try await transaction(durable: true) { [self] connection in try await Self.insert(records, connection, logger: logger) }
    }

    public func importSettings(_ settings: StoreSettingsSnapshot) async throws {
        try await transaction(durable: true) { [self] connection in
            for checkpoint in settings.checkpoints {
                try await connection.query(
                    "INSERT INTO source_checkpoints (source, position) VALUES (\(checkpoint.source), \(checkpoint.position))", logger: logger)
            }
            let keys = settings.idempotencyKeys
            if !keys.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO idempotency_keys (integration, key, message_id, seen_at, expires_at)
                    SELECT * FROM unnest(\(keys.map(\.integration))::text[], \(keys.map(\.key))::text[], \(keys.map(\.messageID))::text[],
                        \(keys.map(\.seenAt))::bigint[], \(keys.map(\.expiresAt))::bigint[])
                    """, logger: logger)
            }
            for token in settings.tokens {
                try await connection.query(
                    """
                    INSERT INTO api_tokens (id, name, role, hash, created_at, revoked_at)
                    VALUES (\(token.id), \(token.name), \(token.role.rawValue), \(token.hash), \(token.createdAt), \(token.revokedAt))
                    """, logger: logger)
            }
            for pause in settings.paused {
                try await connection.query(
                    "INSERT INTO paused_integrations (integration, paused_at, actor) VALUES (\(pause.integration), \(pause.at), \(pause.actor))",
                    logger: logger)
            }
            try await connection.query("SELECT setval('messages_seq', GREATEST((SELECT max(seq) FROM messages), 1))", logger: logger)
        }
    }
}
