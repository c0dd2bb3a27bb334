import GRDB
import SwitchboardEngine

extension SQLiteMessageStore: TokenStore {
    public func insertToken(_ token: APIToken) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [token.id, token.name, token.role.rawValue, token.hash, token.createdAt])
        }
    }

    public func tokens() async throws -> [APIToken] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, role, hash, created_at, revoked_at FROM api_tokens ORDER BY created_at, id").compactMap(
                Self.token)
        }
    }

    public func token(hash: String) async throws -> APIToken? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, role, hash, created_at, revoked_at FROM api_tokens WHERE hash = ?", arguments: [hash])
                .flatMap(Self.token)
        }
    }

    public func revokeToken(id: String, now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id])
            return db.changesCount == 1
        }
    }

    private static func token(_ row: Row) -> APIToken? {
        guard let role = APIToken.Role(rawValue: row[2]) else { return nil }
        return APIToken(id: row[0], name: row[1], role: role, hash: row[3], createdAt: row[4], revokedAt: row[5])
    }
}

extension SQLiteMessageStore: PauseStore {
    public func pausedIntegrations() async throws -> Set<String> {
        try await pool.read { db in Set(try String.fetchAll(db, sql: "SELECT integration FROM paused_integrations")) }
    }

    public func setPaused(_ integration: String, _ paused: Bool, actor: String, now: Int64) async throws -> Bool {
        try await pool.write { db in
            if paused {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO paused_integrations (integration, paused_at, actor) VALUES (?, ?, ?)",
                    arguments: [integration, now, actor])
            } else {
                try db.execute(sql: "DELETE FROM paused_integrations WHERE integration = ?", arguments: [integration])
            }
            guard db.changesCount == 1 else { return false }
            try Self.insert(AuditRecord(at: now, messageID: "", integration: integration, kind: paused ? .paused : .resumed, actor: actor), db)
            return true
        }
    }
}

extension SQLiteMessageStore: SessionStore {
    public func openSession(_ session: DashboardSession, now: Int64, keeping: Int) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE expires_at <= ?", arguments: [now])
            try db.execute(
                sql: """
                    DELETE FROM dashboard_sessions WHERE id_hash IN (
                        SELECT id_hash FROM dashboard_sessions ORDER BY expires_at DESC LIMIT -1 OFFSET ?)
                    """, arguments: [max(0, keeping - 1)])
            try db.execute(
                sql: "INSERT OR REPLACE INTO dashboard_sessions (id_hash, token_hash, csrf, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [session.idHash, session.tokenHash, session.csrf, session.expiresAt])
        }
    }

    public func session(idHash: String, now: Int64) async throws -> DashboardSession? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT id_hash, token_hash, csrf, expires_at FROM dashboard_sessions WHERE id_hash = ? AND expires_at > ?",
                arguments: [idHash, now]
            ).map { DashboardSession(idHash: $0[0], tokenHash: $0[1], csrf: $0[2], expiresAt: $0[3]) }
        }
    }

    public func closeSession(idHash: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM dashboard_sessions WHERE id_hash = ?", arguments: [idHash]) }
    }
}
