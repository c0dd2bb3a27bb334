/// One holder's row of a system's budget shared between nodes: what it holds of each limit and
/// what it wants. A holder is one budget of one node's runtime (a reload makes a new one).
public struct BudgetShareRow: Sendable, Hashable {
    public var system: String
    public var holder: String
    public var node: String
    /// What it may use or still uses: its share, or more while requests it sent before its share
    /// was lowered are in flight or inside the window.
    public var held: BudgetUse
    public var demand: BudgetUse
    /// False once its lease ended unrenewed: it takes no part in the split, and only what it
    /// sent inside the window still counts (its concurrency no longer does once its grace ended).
    public var live: Bool

    public init(system: String, holder: String, node: String, held: BudgetUse, demand: BudgetUse, live: Bool) {
        self.system = system
        self.holder = holder
        self.node = node
        self.held = held
        self.demand = demand
        self.live = live
    }
}

/// What one exchange wrote and learnt.
public struct BudgetExchange: Sendable {
    /// This holder's row as written.
    public var row: BudgetShareRow
    /// How long the system stays paused from now (ms), merged from every node's `Retry-After`; 0 when not paused.
    public var pauseRemaining: Int64
    /// How long each identity the system is reached as (a Dataverse application user, by its
    /// client id) stays paused from now (ms), merged from every node; only those still paused.
    public var lanePausesRemaining: [String: Int64]

    public init(row: BudgetShareRow, pauseRemaining: Int64, lanePausesRemaining: [String: Int64] = [:]) {
        self.row = row
        self.pauseRemaining = pauseRemaining
        self.lanePausesRemaining = lanePausesRemaining
    }
}

/// How the nodes of one store share each target system's budget (PostgreSQL). A store only one
/// process uses does not implement it: there the whole budget is the node's.
///
/// Guarantees: exchanges for one system are serialized across nodes; each sees every other
/// holder's row that still counts, so a holder that never takes more than the limit minus what
/// the others hold keeps the sum within the limit. Times are the store's clock, so nodes' clocks
/// need not agree.
public protocol BudgetCoordination: Sendable {
    /// Reads the other holders' rows of `system` that still count, lets `decide` say what this
    /// holder now holds and wants, and writes that row, live for `lease` and counted for `grace`
    /// after it (its concurrency for `concurrencyGrace`); merges `pauseRemaining` (ms from now,
    /// 0 for none) into the system's pause, and `lanePausesRemaining` into its identities'
    /// pauses. Rows no longer counted are deleted.
    func exchangeBudgetShare(
        system: String, holder: String, node: String, lease: Duration, grace: Duration, concurrencyGrace: Duration,
        pauseRemaining: Int64, lanePausesRemaining: [String: Int64], decide: @escaping @Sendable (_ others: [BudgetShareRow]) async throws -> (held: BudgetUse, demand: BudgetUse)
    ) async throws -> BudgetExchange
    /// Every row that still counts, by system then holder.
    func budgetShares() async throws -> [BudgetShareRow]
}
