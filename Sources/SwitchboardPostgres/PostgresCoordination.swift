import PostgresNIO
import SwitchboardEngine

/// Nodes and duties in the shared database: a row per node, renewed by its heartbeat, and a row
/// per duty, taken with a conditional upsert (River's and Oban's leader row, for any duty).
extension PostgresMessageStore: CoordinationStore {
    public func heartbeat(_ node: NodeRecord, replacing deadPID: Int?) async throws -> Bool {
        try await !rows(
            """
            INSERT INTO nodes (id, host, pid, started_at, heartbeat_at, expires_at, version)
            VALUES (\(node.id), \(node.host), \(Int32(node.pid)), \(node.startedAt), \(node.heartbeatAt), \(node.expiresAt), \(node.version))
            ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at,
                heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at, version = EXCLUDED.version
            WHERE (nodes.host = EXCLUDED.host AND (nodes.pid = EXCLUDED.pid OR nodes.pid = \(Int32(deadPID ?? -1))))
               OR nodes.expires_at <= EXCLUDED.heartbeat_at
            RETURNING id
            """
        ).isEmpty
    }

    public func nodes() async throws -> [NodeRecord] {
        try await rows("SELECT id, host, pid, started_at, heartbeat_at, expires_at, version FROM nodes ORDER BY heartbeat_at DESC, id").map { row in
            let c = try row.decode((String, String, Int32, Int64, Int64, Int64, String).self)
            return NodeRecord(id: c.0, host: c.1, pid: Int(c.2), startedAt: c.3, heartbeatAt: c.4, expiresAt: c.5, version: c.6)
        }
    }

    public func holdDuty(_ name: String, holder: String, now: Int64, ttlMillis: Int64) async throws -> Bool {
        try await !rows(
            """
            INSERT INTO duties (name, holder, term, expires_at) VALUES (\(name), \(holder), 1, \(now + ttlMillis))
            ON CONFLICT (name) DO UPDATE
                SET term = CASE WHEN duties.holder = EXCLUDED.holder THEN duties.term ELSE duties.term + 1 END,
                    holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE duties.holder = EXCLUDED.holder OR duties.expires_at <= \(now)
            RETURNING holder
            """
        ).isEmpty
    }

    public func duties() async throws -> [DutyLease] {
        try await rows("SELECT name, holder, expires_at FROM duties ORDER BY name").map { row in
            let (name, holder, expires) = try row.decode((String, String, Int64).self)
            return DutyLease(name: name, holder: holder, expiresAt: expires)
        }
    }

    public func leave(node id: String) async throws {
        try await transaction(durable: false) { [self] connection in
            try await connection.query("DELETE FROM duties WHERE holder = \(id)", logger: logger)
            try await connection.query("DELETE FROM nodes WHERE id = \(id)", logger: logger)
        }
    }
}
