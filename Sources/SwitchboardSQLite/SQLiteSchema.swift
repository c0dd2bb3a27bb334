import GRDB

/// The store's schema as numbered migrations, applied in order when a store opens.
///
/// A migration, once released, never changes: later versions add new ones. GRDB records the
/// applied ones in `grdb_migrations`, so a store written by any earlier version opens forward.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: messages, idempotency keys, audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE messages (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        integration TEXT NOT NULL,
                        state INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        available_at INTEGER NOT NULL,
                        lease_owner TEXT,
                        lease_token TEXT,
                        lease_expires_at INTEGER,
                        ordering_key TEXT,
                        idempotency_key TEXT,
                        payload BLOB NOT NULL,
                        received_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        last_status INTEGER,
                        last_error TEXT
                    );
                    -- Work to do, in arrival order per integration: what claim scans.
                    CREATE INDEX messages_pending ON messages(integration, seq) WHERE state IN (0, 1, 3);
                    -- The earlier unfinished message of an ordering key: what keeps per-key order.
                    CREATE INDEX messages_ordering ON messages(integration, ordering_key, seq) WHERE ordering_key IS NOT NULL AND state IN (0, 1, 3);
                    -- Listing and counting by state (messages list, dlq, queue depth).
                    CREATE INDEX messages_state ON messages(integration, state, received_at);
                    CREATE INDEX messages_leases ON messages(lease_owner) WHERE state = 1;

                    CREATE TABLE idempotency_keys (
                        integration TEXT NOT NULL,
                        key TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        expires_at INTEGER NOT NULL,
                        PRIMARY KEY (integration, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX idempotency_expiry ON idempotency_keys(expires_at);

                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        message_id TEXT NOT NULL,
                        integration TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        from_state INTEGER,
                        to_state INTEGER,
                        attempt INTEGER,
                        status INTEGER,
                        duration_ms INTEGER,
                        detail TEXT,
                        actor TEXT NOT NULL
                    );
                    -- Every index costs a b-tree write for each of the several records a message leaves,
                    -- so the audit log keeps two: by message (messages show) and by time (audit, prune).
                    CREATE INDEX audit_message ON audit(message_id, id);
                    CREATE INDEX audit_at ON audit(at);
                    """)
        }
        migrator.registerMigration("v2: claim scans ready messages only") { db in
            // messages_pending held leased messages too, at the head of the arrival order, so every
            // claim stepped over up to `concurrency` leased rows before the first ready one.
            // Expired leases are found through messages_state instead, at most once a second.
            // messages_leases was written twice per message and read only when a hub starts or stops.
            try db.execute(
                sql: """
                    DROP INDEX messages_pending;
                    DROP INDEX messages_leases;
                    CREATE INDEX messages_ready ON messages(integration, seq, available_at) WHERE state IN (0, 3);
                    """)
        }
        migrator.registerMigration("v3: positions of polled sources") { db in
            try db.execute(sql: "CREATE TABLE source_checkpoints (source TEXT PRIMARY KEY, position TEXT NOT NULL) WITHOUT ROWID")
        }
        migrator.registerMigration("v4: management API tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_tokens (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    ) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("v5: paused integrations") { db in
            try db.execute(
                sql: "CREATE TABLE paused_integrations (integration TEXT PRIMARY KEY, paused_at INTEGER NOT NULL, actor TEXT NOT NULL) WITHOUT ROWID")
        }
        migrator.registerMigration("v6: interruptions, for poison messages") { db in
            // Times the hub stopped while processing a message; past the limit it is dead as poison.
            try db.execute(sql: "ALTER TABLE messages ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v7: the revision and the request of each attempt, the trace context of each message") { db in
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN revision TEXT")
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN request TEXT")
            try db.execute(sql: "ALTER TABLE messages ADD COLUMN traceparent TEXT")
        }
        migrator.registerMigration("v8: dashboard sessions") { db in
            // By the hash of the session id (the cookie's value is never stored).
            try db.execute(
                sql: """
                    CREATE TABLE dashboard_sessions (
                        id_hash TEXT PRIMARY KEY, token_hash TEXT NOT NULL, csrf TEXT NOT NULL, expires_at INTEGER NOT NULL)
                    """)
            try db.execute(sql: "CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at)")
        }
        return migrator
    }
}
