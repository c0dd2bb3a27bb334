import PostgresNIO
import SwitchboardEngine

extension PostgresMessageStore: TokenStore {
    public func insertToken(_ token: APIToken) async throws {
        _ = try await rows(
            """
            INSERT INTO api_tokens (id, name, role, hash, created_at)
            VALUES (\(token.id), \(token.name), \(token.role.rawValue), \(token.hash), \(token.createdAt))
            """)
    }

    public func tokens() async throws -> [APIToken] {
        try await rows("SELECT id, name, role, hash, created_at, revoked_at FROM api_tokens ORDER BY created_at, id").compactMap(Self.token)
    }

    public func token(hash: String) async throws -> APIToken? {
        try await rows("SELECT id, name, role, hash, created_at, revoked_at FROM api_tokens WHERE hash = \(hash)").first.flatMap(Self.token)
    }

    public func revokeToken(id: String, now: Int64) async throws -> Bool {
        try await !rows("UPDATE api_tokens SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL RETURNING id").isEmpty
    }

    private static func token(_ row: PostgresRow) throws -> APIToken? {
        let (id, name, role, hash, created, revoked) = try row.decode((String, String, String, String, Int64, Int64?).self)
        guard let role = APIToken.Role(rawValue: role) else { return nil }
        return APIToken(id: id, name: name, role: role, hash: hash, createdAt: created, revokedAt: revoked)
    }
}

extension PostgresMessageStore: PauseStore {
    public func pausedIntegrations() async throws -> Set<String> {
        Set(try await rows("SELECT integration FROM paused_integrations").map { try $0.decode(String.self) })
    }

    public func setPaused(_ integration: String, _ paused: Bool, actor: String, now: Int64) async throws -> Bool {
        try await transaction(durable: true) { [self] connection in
            let changed =
                if paused {
                    try await connection.query(
                        """
                        INSERT INTO paused_integrations (integration, paused_at, actor) VALUES (\(integration), \(now), \(actor))
                        ON CONFLICT DO NOTHING RETURNING integration
                        """, logger: logger
                    ).collect()
                } else {
                    try await connection.query(
                        "DELETE FROM paused_integrations WHERE integration = \(integration) RETURNING integration", logger: logger
                    ).collect()
                }
            guard !changed.isEmpty else { return false }
            try await Self.insert(
                [AuditRecord(at: now, messageID: "", integration: integration, kind: paused ? .paused : .resumed, actor: actor)], connection,
                logger: logger)
            return true
        }
    }
}

extension PostgresMessageStore: SessionStore {
    public func openSession(_ session: DashboardSession, now: Int64, keeping: Int) async throws {
        try await transaction(durable: true) { [logger] connection in
            try await connection.query("DELETE FROM dashboard_sessions WHERE expires_at <= \(now)", logger: logger)
            try await connection.query(
                """
                DELETE FROM dashboard_sessions WHERE id_hash IN (
                    SELECT id_hash FROM dashboard_sessions ORDER BY expires_at DESC OFFSET \(Int64(max(0, keeping - 1))))
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO dashboard_sessions (id_hash, token_hash, csrf, expires_at)
                VALUES (\(session.idHash), \(session.tokenHash), \(session.csrf), \(session.expiresAt))
                ON CONFLICT (id_hash) DO UPDATE SET token_hash = EXCLUDED.token_hash, csrf = EXCLUDED.csrf, expires_at = EXCLUDED.expires_at
                """, logger: logger)
        }
    }

    public func session(idHash: String, now: Int64) async throws -> DashboardSession? {
        try await rows(
            "SELECT id_hash, token_hash, csrf, expires_at FROM dashboard_sessions WHERE id_hash = \(idHash) AND expires_at > \(now)"
        ).first.map { row in
            let (id, token, csrf, expires) = try row.decode((String, String, String, Int64).self)
            return DashboardSession(idHash: id, tokenHash: token, csrf: csrf, expiresAt: expires)
        }
    }

    public func closeSession(idHash: String) async throws {
        _ = try await rows("DELETE FROM dashboard_sessions WHERE id_hash = \(idHash)")
    }
}
