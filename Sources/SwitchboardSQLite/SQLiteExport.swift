import GRDB
import SwitchboardEngine

/// `store migrate`: the embedded store read whole, page by page.
extension SQLiteMessageStore: StoreExporting {
    public func exportMessages(after: Int64, limit: Int) async throws -> [StoredMessage] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [after, limit])
                .map { row in let message = Self.message(row); return StoredMessage(message: message, leaseOwner: message.leaseOwner) }
        }
    }

    public func exportAudit(after: Int64, limit: Int) async throws -> [(id: Int64, record: AuditRecord)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit]).map { row in
                (row["id"], Self.auditRecord(row))
            }
        }
    }

    public func exportSettings() async throws -> StoreSettingsSnapshot {
        let tokens = try await tokens()
        return try await pool.read { db in
            let checkpoints = try Row.fetchAll(db, sql: "SELECT source, position FROM source_checkpoints ORDER BY source")
                .map { SourceCheckpoint(source: $0[0], position: $0[1]) }
            // The window's start is not kept in SQLite: a key counts as seen when its message arrived.
            let keys = try Row.fetchAll(
                db,
                sql: """
                    SELECT k.integration, k.key, k.message_id, COALESCE(m.received_at, k.expires_at), k.expires_at
                    FROM idempotency_keys k LEFT JOIN messages m ON m.id = k.message_id ORDER BY k.integration, k.key
                    """
            ).map { StoredIdempotencyKey(integration: $0[0], key: $0[1], messageID: $0[2], seenAt: $0[3], expiresAt: $0[4]) }
            let paused = try Row.fetchAll(db, sql: "SELECT integration, paused_at, actor FROM paused_integrations ORDER BY integration")
                .map { (integration: $0[0] as String, at: $0[1] as Int64, actor: $0[2] as String) }
            return StoreSettingsSnapshot(checkpoints: checkpoints, idempotencyKeys: keys, tokens: tokens, paused: paused)
        }
    }
}
