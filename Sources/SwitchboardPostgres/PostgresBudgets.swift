import PostgresNIO
import SwitchboardEngine

/// Target budgets shared between nodes: each exchange locks the system's row in `budget_systems`
/// (so exchanges for one system are serialized), reads the other holders' rows that still count,
/// and writes its own, all in one transaction committed durably (a share granted is never
/// forgotten by a database crash). Times come from the database's clock.
extension PostgresMessageStore: BudgetCoordination {
    public func exchangeBudgetShare(
        system: String, holder: String, node: String, lease: Duration, grace: Duration, concurrencyGrace: Duration,
        pauseRemaining: Int64, lanePausesRemaining: [String: Int64], decide: @escaping @Sendable ([BudgetShareRow]) async throws -> (held: BudgetUse, demand: BudgetUse)
    ) async throws -> BudgetExchange {
        try await transaction(durable: true) { [logger] connection in
            let pause = max(0, pauseRemaining)
            let locked = try await connection.query(
                """
                INSERT INTO budget_systems AS b (system, paused_until)
                VALUES (\(system), (extract(epoch FROM clock_timestamp()) * 1000)::bigint + \(pause))
                ON CONFLICT (system) DO UPDATE SET paused_until = GREATEST(b.paused_until, EXCLUDED.paused_until)
                RETURNING paused_until, (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                """, logger: logger
            ).collect()
            guard let first = locked.first else { throw PostgresStoreError("the budget row of system '\(system)' could not be locked") }
            let (pausedUntil, now) = try first.decode((Int64, Int64).self)
            try await connection.query("DELETE FROM budget_shares WHERE system = \(system) AND counted_until <= \(now)", logger: logger)
            // Identities' pauses: merged (the later end wins), ended ones deleted, the rest read back.
            let told = lanePausesRemaining.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            if !told.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO budget_lane_pauses AS p (system, lane, paused_until)
                    SELECT \(system), lane, \(now) + remaining FROM unnest(\(told.map(\.key))::text[], \(told.map(\.value))::bigint[]) AS t(lane, remaining)
                    ON CONFLICT (system, lane) DO UPDATE SET paused_until = GREATEST(p.paused_until, EXCLUDED.paused_until)
                    """, logger: logger)
            }
            try await connection.query("DELETE FROM budget_lane_pauses WHERE system = \(system) AND paused_until <= \(now)", logger: logger)
            let lanes = try await connection.query(
                "SELECT lane, paused_until - \(now) FROM budget_lane_pauses WHERE system = \(system)", logger: logger
            ).collect().map { try $0.decode((String, Int64).self) }
            let others = try await connection.query(
                """
                SELECT holder, node, concurrency, requests, execution_ms, want_concurrency, want_requests, want_execution_ms,
                       live_until, concurrency_until
                FROM budget_shares WHERE system = \(system) AND holder <> \(holder) ORDER BY holder
                """, logger: logger
            ).collect().map { row in
                Self.shareRow(try row.decode((String, String, Int32, Int32, Int64, Int32, Int32, Int64, Int64, Int64).self), system: system, now: now)
            }
            let (held, demand) = try await decide(others)
            let liveUntil = now + lease.milliseconds
            try await connection.query(
                """
                INSERT INTO budget_shares (system, holder, node, concurrency, requests, execution_ms, want_concurrency, want_requests,
                    want_execution_ms, live_until, concurrency_until, counted_until)
                VALUES (\(system), \(holder), \(node), \(Int32(clamping: held.concurrency)), \(Int32(clamping: held.requests)),
                    \(held.executionMillis), \(Int32(clamping: demand.concurrency)), \(Int32(clamping: demand.requests)),
                    \(demand.executionMillis), \(liveUntil), \(liveUntil + concurrencyGrace.milliseconds), \(liveUntil + grace.milliseconds))
                ON CONFLICT (system, holder) DO UPDATE SET concurrency = EXCLUDED.concurrency, requests = EXCLUDED.requests,
                    execution_ms = EXCLUDED.execution_ms, want_concurrency = EXCLUDED.want_concurrency,
                    want_requests = EXCLUDED.want_requests, want_execution_ms = EXCLUDED.want_execution_ms,
                    live_until = EXCLUDED.live_until, concurrency_until = EXCLUDED.concurrency_until, counted_until = EXCLUDED.counted_until
                """, logger: logger)
            let row = BudgetShareRow(system: system, holder: holder, node: node, held: held, demand: demand, live: lease > .zero)
            return BudgetExchange(
                row: row, pauseRemaining: max(0, pausedUntil - now),
                lanePausesRemaining: Dictionary(lanes, uniquingKeysWith: { first, _ in first }))
        }
    }

    public func budgetShares() async throws -> [BudgetShareRow] {
        try await rows(
            """
            SELECT holder, node, concurrency, requests, execution_ms, want_concurrency, want_requests, want_execution_ms,
                   live_until, concurrency_until, system, (extract(epoch FROM clock_timestamp()) * 1000)::bigint
            FROM budget_shares WHERE counted_until > (extract(epoch FROM clock_timestamp()) * 1000)::bigint ORDER BY system, holder
            """
        ).map { row in
            let c = try row.decode((String, String, Int32, Int32, Int64, Int32, Int32, Int64, Int64, Int64, String, Int64).self)
            return Self.shareRow((c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9), system: c.10, now: c.11)
        }
    }

    /// holder, node, held (3), wanted (3), live until, concurrency counted until.
    private typealias ShareColumns = (String, String, Int32, Int32, Int64, Int32, Int32, Int64, Int64, Int64)

    private static func shareRow(_ c: ShareColumns, system: String, now: Int64) -> BudgetShareRow {
        let concurrencyCounts = c.9 > now
        return BudgetShareRow(
            system: system, holder: c.0, node: c.1,
            held: BudgetUse(concurrency: concurrencyCounts ? Int(c.2) : 0, requests: Int(c.3), executionMillis: c.4),
            demand: BudgetUse(concurrency: Int(c.5), requests: Int(c.6), executionMillis: c.7), live: c.8 > now)
    }
}
