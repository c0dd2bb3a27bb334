import NIOCore
import PostgresNIO
import SwitchboardEngine
import SwitchboardModel

/// The statements every message passes through, prepared once per connection: storing an
/// arrival, claiming, leasing and completing. Unprepared, PostgreSQL planned each one on every
/// call, about a quarter of its CPU per message (52.8 µs of 195 µs of statement time, measured
/// with pg_stat_statements under `Benchmarks/nodes.sh`). The connections run with
/// `plan_cache_mode = force_generic_plan`, so a prepared statement is planned once.
///
/// Parameter types are given (`bindingDataTypes`): inferred, `$1::jsonb` would make PostgreSQL
/// expect jsonb's binary form where the store sends text.
enum HotStatements {
    /// New messages and their `received` audit, in one statement.
    struct StoreArrivals: PostgresPreparedStatement {
        typealias Row = ()
        static let sql = """
            WITH stored AS (\(PostgresMessageStore.insertArrivals.head)$1\(PostgresMessageStore.insertArrivals.payloads)$2\(PostgresMessageStore.insertArrivals.tail))
            INSERT INTO audit \(PostgresMessageStore.auditColumns) \(PostgresMessageStore.auditSelect)$3\(PostgresMessageStore.auditRecordset)
            ORDER BY r.n
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .byteaArray, .text]

        var rows: String
        var payloads: [ByteBuffer]
        var audit: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(rows)
            bindings.append(payloads)
            bindings.append(audit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Up to `limit` messages of an integration ready now, in sequence order, locked; a message
    /// with an ordering key only while it heads its lane and no message of its key is leased.
    struct ReadyMessages: PostgresPreparedStatement {
        typealias Row = Message
        static let sql = """
            SELECT \(PostgresMessageStore.columns) FROM messages_pending AS m
            WHERE m.integration = $1 AND m.state IN (0, 3) AND m.available_at <= $2
              AND (m.ordering_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM messages_pending AS p
                    WHERE p.integration = m.integration AND p.ordering_key = m.ordering_key AND (p.seq < m.seq OR p.state = 1)))
            ORDER BY m.seq LIMIT $3 FOR UPDATE SKIP LOCKED
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8]

        var integration: String
        var now: Int64
        var limit: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(integration)
            bindings.append(now)
            bindings.append(limit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Message { try PostgresMessageStore.message(row) }
    }

    /// Leases claimed messages (by sequence, with a token, deadline and interruption count each)
    /// and writes their audit. `m.seq = ANY` lets the planner find the rows by index: joined with
    /// the arrays alone, it hashed the whole pending partition, a backlog's worth.
    struct Lease: PostgresPreparedStatement {
        typealias Row = ()
        static let sql = """
            WITH leased AS (
                UPDATE messages_pending AS m
                SET state = 1, lease_owner = $1, lease_token = u.token, lease_expires_at = u.expires, updated_at = $2,
                    interruptions = u.interruptions
                FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::integer[]) AS u(seq, token, expires, interruptions)
                WHERE m.seq = u.seq AND m.seq = ANY($3::bigint[])
            )
            INSERT INTO audit \(PostgresMessageStore.auditColumns) \(PostgresMessageStore.auditSelect)$7\(PostgresMessageStore.auditRecordset)
            ORDER BY r.n
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8Array, .textArray, .int8Array, .int4Array, .text]

        var owner: String
        var now: Int64
        var seqs: [Int64]
        var tokens: [String]
        var expires: [Int64]
        var interruptions: [Int32]
        var audit: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 7)
            bindings.append(owner)
            bindings.append(now)
            bindings.append(seqs)
            bindings.append(tokens)
            bindings.append(expires)
            bindings.append(interruptions)
            bindings.append(audit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Outcomes of leased messages, each applied only while its lease token still holds, and the
    /// audit of those applied; returns their ids. `m.id = ANY` for the index, as in `Lease`.
    struct Complete: PostgresPreparedStatement {
        typealias Row = String
        static let sql = """
            WITH done AS (
                UPDATE messages AS m
                SET state = c.state, attempts = c.attempts, available_at = c.available_at, lease_owner = NULL, lease_token = NULL,
                    lease_expires_at = NULL, updated_at = c.updated_at, last_status = c.last_status, last_error = c.last_error,
                    interruptions = c.interruptions
                FROM jsonb_to_recordset($1::jsonb) AS c(
                    id text, token text, state smallint, attempts integer, available_at bigint, updated_at bigint, last_status integer,
                    last_error text, interruptions integer)
                WHERE m.state = 1 AND m.id = c.id AND m.lease_token = c.token AND m.id = ANY($2::text[])
                RETURNING m.id
            ), logged AS (
                INSERT INTO audit \(PostgresMessageStore.auditColumns)
                \(PostgresMessageStore.auditSelect)$3\(PostgresMessageStore.auditRecordset)
                WHERE r.message_id IN (SELECT id FROM done)
                ORDER BY r.n
            )
            SELECT id FROM done
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .textArray, .text]

        var rows: String
        var ids: [String]
        var audit: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(rows)
            bindings.append(ids)
            bindings.append(audit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
    }
}
