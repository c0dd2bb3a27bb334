/// The PostgreSQL store's schema as numbered migrations, applied in order when a node opens the
/// store, under a transaction-scoped advisory lock so that nodes starting together migrate once.
///
/// A migration, once released, never changes: later versions add new ones. Applied versions are
/// recorded in `switchboard_migrations`.
///
/// The message table is partitioned by state: `messages_pending` holds what is still to do
/// (ready, leased, waiting for a retry) and stays small under any volume, since PostgreSQL moves a
/// row into `messages_done` (delivered, dead, filtered) when its state changes; pruning deletes
/// from `messages_done` only. The pending partition is vacuumed after every 1,000 dead tuples,
/// not after a fifth of the table (PostgreSQL's default), without cost delay: a queue table's
/// churn is its whole size many times a minute.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// The advisory lock key migrations hold (`pg_advisory_xact_lock`): "SwBd" as an integer.
    static let migrationLock: Int64 = 0x5377_4264

    static let migrations: [Migration] = [
        Migration(
            version: 1, name: "messages partitioned by state, idempotency keys, audit, checkpoints, tokens, pauses",
            statements: [
                """
                CREATE TABLE messages (
                    seq bigint NOT NULL,
                    id text NOT NULL,
                    integration text NOT NULL,
                    state smallint NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    available_at bigint NOT NULL,
                    lease_owner text,
                    lease_token text,
                    lease_expires_at bigint,
                    ordering_key text,
                    idempotency_key text,
                    payload bytea NOT NULL,
                    received_at bigint NOT NULL,
                    updated_at bigint NOT NULL,
                    last_status integer,
                    last_error text,
                    interruptions integer NOT NULL DEFAULT 0,
                    traceparent text
                ) PARTITION BY LIST (state)
                """,
                "CREATE SEQUENCE messages_seq AS bigint",
                """
                CREATE TABLE messages_pending PARTITION OF messages FOR VALUES IN (0, 1, 3)
                WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                      autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000)
                """,
                "CREATE TABLE messages_done PARTITION OF messages FOR VALUES IN (2, 4, 5)",
                // Work to do, in arrival order per integration: what claim scans.
                "CREATE INDEX messages_ready ON messages_pending (integration, seq) WHERE state IN (0, 3)",
                // The unfinished messages of an ordering key: what keeps per-key order.
                "CREATE INDEX messages_ordering ON messages_pending (integration, ordering_key, seq) WHERE ordering_key IS NOT NULL",
                // Leases that may have expired (the sweep) and a node's leases (release, recovery).
                "CREATE INDEX messages_leases ON messages_pending (integration, lease_expires_at) WHERE state = 1",
                "CREATE INDEX messages_pending_id ON messages_pending (id)",
                "CREATE INDEX messages_pending_seq ON messages_pending (seq)",
                "CREATE INDEX messages_done_id ON messages_done (id)",
                // Listing, counting and pruning by state and time.
                "CREATE INDEX messages_done_state ON messages_done (integration, state, received_at)",
                "CREATE INDEX messages_done_updated ON messages_done (updated_at)",
                """
                CREATE TABLE idempotency_keys (
                    integration text NOT NULL,
                    key text NOT NULL,
                    message_id text NOT NULL,
                    seen_at bigint NOT NULL,
                    expires_at bigint NOT NULL,
                    PRIMARY KEY (integration, key)
                )
                """,
                "CREATE INDEX idempotency_expiry ON idempotency_keys (expires_at)",
                """
                CREATE TABLE audit (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at bigint NOT NULL,
                    message_id text NOT NULL,
                    integration text NOT NULL,
                    kind text NOT NULL,
                    from_state smallint,
                    to_state smallint,
                    attempt integer,
                    status integer,
                    duration_ms bigint,
                    detail text,
                    actor text NOT NULL,
                    revision text,
                    request text
                )
                """,
                "CREATE INDEX audit_message ON audit (message_id, id)",
                "CREATE INDEX audit_at ON audit (at)",
                "CREATE TABLE source_checkpoints (source text PRIMARY KEY, position text NOT NULL)",
                """
                CREATE TABLE api_tokens (
                    id text PRIMARY KEY,
                    name text NOT NULL,
                    role text NOT NULL,
                    hash text NOT NULL UNIQUE,
                    created_at bigint NOT NULL,
                    revoked_at bigint
                )
                """,
                "CREATE TABLE paused_integrations (integration text PRIMARY KEY, paused_at bigint NOT NULL, actor text NOT NULL)",
            ]),
        Migration(
            version: 2, name: "nodes and the leases they hold (housekeeping, polled sources)",
            statements: [
                """
                CREATE TABLE nodes (
                    id text PRIMARY KEY,
                    host text NOT NULL,
                    pid integer NOT NULL,
                    started_at bigint NOT NULL,
                    heartbeat_at bigint NOT NULL,
                    expires_at bigint NOT NULL,
                    version text NOT NULL
                ) WITH (fillfactor = 50)
                """,
                // A named duty one node holds at a time until `expires_at` (the housekeeping leader,
                // the poller of a source), renewed by its holder: River's and Oban's lease row.
                "CREATE TABLE duties (name text PRIMARY KEY, holder text NOT NULL, term bigint NOT NULL, expires_at bigint NOT NULL) WITH (fillfactor = 50)",
            ]),
        Migration(
            version: 3, name: "target budgets shared between nodes",
            statements: [
                // One row per target system: the lock every exchange of its shares takes, and
                // the pause (Retry-After) every node honours. Times in the database's clock (ms).
                "CREATE TABLE budget_systems (system text PRIMARY KEY, paused_until bigint NOT NULL) WITH (fillfactor = 50)",
                // One row per budget holder (one runtime of one node): what it holds and wants of
                // each limit, live until `live_until`, its concurrency counted until
                // `concurrency_until`, the rest until `counted_until`.
                """
                CREATE TABLE budget_shares (
                    system text NOT NULL,
                    holder text NOT NULL,
                    node text NOT NULL,
                    concurrency integer NOT NULL,
                    requests integer NOT NULL,
                    execution_ms bigint NOT NULL,
                    want_concurrency integer NOT NULL,
                    want_requests integer NOT NULL,
                    want_execution_ms bigint NOT NULL,
                    live_until bigint NOT NULL,
                    concurrency_until bigint NOT NULL,
                    counted_until bigint NOT NULL,
                    PRIMARY KEY (system, holder)
                ) WITH (fillfactor = 50)
                """,
            ]),
        Migration(
            version: 4, name: "dashboard sessions",
            statements: [
                // By the hash of the session id (the cookie's value is never stored).
                "CREATE TABLE dashboard_sessions (id_hash text PRIMARY KEY, token_hash text NOT NULL, csrf text NOT NULL, expires_at bigint NOT NULL)",
                "CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at)",
            ]),
        Migration(
            version: 5, name: "pauses of a target's identities shared between nodes",
            statements: [
                // One row per paused identity of a system (a Dataverse application user told to
                // wait), until the database's time `paused_until` (ms); written under the
                // system's row lock in budget_systems, with its shares.
                """
                CREATE TABLE budget_lane_pauses (
                    system text NOT NULL, lane text NOT NULL, paused_until bigint NOT NULL, PRIMARY KEY (system, lane))
                """,
            ]),
    ]
}
