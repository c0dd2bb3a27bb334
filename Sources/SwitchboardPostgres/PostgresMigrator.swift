import Logging
import PostgresNIO

/// Applies `PostgresSchema`'s migrations that a database lacks, in one transaction under an
/// advisory lock: nodes starting together wait for the first, then find nothing to do.
enum PostgresMigrator {
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS switchboard_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """, logger: logger)
                let applied = Set(
                    try await connection.query("SELECT version FROM switchboard_migrations", logger: logger).collect().map {
                        try $0.decode(Int32.self)
                    })
                for migration in PostgresSchema.migrations where !applied.contains(Int32(migration.version)) {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO switchboard_migrations (version, name) VALUES (\(Int32(migration.version)), \(migration.name))", logger: logger)
                    logger.info("migrated the PostgreSQL store", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
