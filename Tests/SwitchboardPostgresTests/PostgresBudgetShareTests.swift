import Foundation
import Logging
import ServiceLifecycle
import SwitchboardEngine
import SwitchboardModel
import SwitchboardPostgres
import SwitchboardTesting
import Synchronization
import Testing

/// Three nodes' budgets for one target, kept by their `BudgetShareKeeper`s on a real database,
/// hammered by callers on every node: what the target would see, summed over the nodes.
@Suite("PostgreSQL store: target budgets shared between nodes")
struct PostgresBudgetShareTests {
    /// What the target sees: requests in flight at once and when each arrived, over every node.
    final class Target: Sendable {
        private let state = Mutex<(inFlight: Int, most: Int, arrivals: [Int64], byNode: [String: Int])>((0, 0, [], [:]))

        func begin(node: String, at now: Int64) {
            state.withLock {
                $0.inFlight += 1
                $0.most = max($0.most, $0.inFlight)
                $0.arrivals.append(now)
                $0.byNode[node, default: 0] += 1
            }
        }

        func end() { state.withLock { $0.inFlight -= 1 } }
        var most: Int { state.withLock { $0.most } }
        var arrivals: [Int64] { state.withLock { $0.arrivals.sorted() } }
        var byNode: [String: Int] { state.withLock { $0.byNode } }

        /// The most arrivals inside any sliding window of `millis`.
        func mostInWindow(_ millis: Int64) -> Int {
            let times = arrivals
            var head = 0
            var most = 0
            for (index, time) in times.enumerated() {
                while times[head] <= time - millis { head += 1 }
                most = max(most, index - head + 1)
            }
            return most
        }
    }

    struct Node {
        let store: PostgresMessageStore
        let budget: SystemBudget
        let keeper: Task<Void, any Error>
        let callers: Task<Void, Never>
    }

    static let limits = SystemLimits(maxConcurrent: 6, maxRequests: 60, window: .seconds(1))

    /// A node's store, connected and migrated, so the time its callers run is all spent on the budget.
    static func store(_ url: PostgresURL) async throws -> PostgresMessageStore {
        let store = try PostgresMessageStore(url: url, poolSize: 2)
        _ = try await store.budgetShares()
        return store
    }

    /// A node's budget and its keeper, running.
    static func keep(_ name: String, store: PostgresMessageStore) -> (budget: SystemBudget, keeper: Task<Void, any Error>) {
        let clock = SystemClock()
        // The hub's budgets count a window 100 ms longer than the target's (`SystemLimits` margin).
        let budget = SystemBudget(systemID: "erp", limits: limits, clock: clock, margin: .milliseconds(100), shared: true)
        let keeper = BudgetShareKeeper(
            coordination: store, budgets: [budget], node: name, runtime: "0", clock: clock, logger: Logger(label: "test"),
            lease: .seconds(3), concurrencyGrace: .milliseconds(500))
        return (budget, Task { try await keeper.run() })
    }

    /// Five callers on a node, each sending one request after another through its budget until `stop`.
    static func call(_ name: String, budget: SystemBudget, target: Target, until stop: Int64) -> Task<Void, Never> {
        let clock = SystemClock()
        return Task {
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<5 {
                    group.addTask {
                        while clock.now() < stop, !Task.isCancelled {
                            guard (try? await budget.acquire()) != nil else { return }
                            target.begin(node: name, at: clock.now())
                            try? await Task.sleep(for: .milliseconds(10 + caller * 4))
                            target.end()
                            await budget.release(executionMillis: 10)
                        }
                    }
                }
            }
        }
    }

    @Test("three nodes never exceed max_concurrent or max_requests together, share the work, and a dead node's part is taken over")
    func threeNodes() async throws {
        let url = try PostgresURL.parse(try await ThrowawayPostgres.database()).get()
        let target = Target()
        let clock = SystemClock()
        let stores = (try await Self.store(url), try await Self.store(url), try await Self.store(url))
        // The keepers first: the callers start once every node holds a share (before that, the
        // first node to start may take a whole window, as documented).
        let keeping = (Self.keep("a", store: stores.0), Self.keep("b", store: stores.1), Self.keep("c", store: stores.2))
        let registered = await eventually { ((try? await stores.0.budgetShares()) ?? []).filter(\.live).count == 3 }
        #expect(registered, "the three keepers wrote their shares")
        // Every node calls until it is stopped. Node c dies once each node has had its part (ten
        // requests), 3.5 s in at the earliest: on a loaded machine the shares settle later, and
        // a fixed 3.5 s had seen node a still waiting.
        let start = clock.now()
        let a = Node(store: stores.0, budget: keeping.0.budget, keeper: keeping.0.keeper, callers: Self.call("a", budget: keeping.0.budget, target: target, until: .max))
        let b = Node(store: stores.1, budget: keeping.1.budget, keeper: keeping.1.keeper, callers: Self.call("b", budget: keeping.1.budget, target: target, until: .max))
        let c = Node(store: stores.2, budget: keeping.2.budget, keeper: keeping.2.keeper, callers: Self.call("c", budget: keeping.2.budget, target: target, until: .max))
        let everyNodeServed = await eventually(30) {
            clock.now() >= start + 3_500 && ["a", "b", "c"].allSatisfy { (target.byNode[$0] ?? 0) >= 10 }
        }
        // It dies without handing its share back: its connections go first, so its keeper cannot.
        await c.store.close()
        c.keeper.cancel()
        c.callers.cancel()
        await c.callers.value
        let atDeath = target.byNode
        let died = clock.now()
        // a and b go on for 6.5 s, past c's lease (3 s) and the window its requests were in.
        try await Task.sleep(for: .milliseconds(6_500))
        let stop = clock.now()
        a.callers.cancel()
        b.callers.cancel()
        await a.callers.value
        await b.callers.value
        a.keeper.cancel()
        b.keeper.cancel()

        #expect(target.most <= 6, "at most max_concurrent in flight over the three nodes")
        #expect(target.mostInWindow(1_000) <= 60, "at most max_requests in any 1 s window over the three nodes")
        let counts = target.byNode
        // Each node got its part.
        #expect(everyNodeServed, "every node had a share before c died: \(atDeath) after \(died - start) ms")
        // At least 10 s at up to 60 a second: the nodes used most of the budget between them.
        let total = counts.values.reduce(0, +)
        #expect(total >= 240, "the three nodes sent \(total) requests in \(stop - start) ms with 60/s allowed")
        // After c's lease (3 s) lapsed and its requests left the window, a and b used its part: the last two seconds carry close to the whole rate.
        let late = target.arrivals.filter { $0 > stop - 2_000 }.count
        #expect(late >= 80, "a and b sent \(late) requests in the last 2 s with 120 allowed")
        for node in [a, b] { await node.store.close() }
    }

    @Test("a Retry-After pause one node was told reaches the other nodes' budgets, the system's and one application user's")
    func pauseReachesEveryNode() async throws {
        let url = try PostgresURL.parse(try await ThrowawayPostgres.database()).get()
        let clock = SystemClock()
        var stores: [PostgresMessageStore] = []
        var budgets: [SystemBudget] = []
        var keepers: [Task<Void, any Error>] = []
        for node in ["a", "b"] {
            let store = try PostgresMessageStore(url: url, poolSize: 2)
            try await store.prepare()
            let budget = SystemBudget(systemID: "erp", limits: Self.limits, clock: clock, shared: true)
            let keeper = BudgetShareKeeper(coordination: store, budgets: [budget], node: node, runtime: "0", clock: clock, logger: Logger(label: "test"))
            keepers.append(Task { try await keeper.run() })
            stores.append(store)
            budgets.append(budget)
        }
        let until = clock.now() + 10_000
        await budgets[0].pause(until: until)
        budgets[0].pause(lane: "app-2", until: until)
        let (other, own) = (budgets[1], budgets[0])
        let learnt = await eventually(8) { other.pausedUntil >= until - 100 }
        let shares = try await stores[0].budgetShares().map { "\($0.holder) holds \($0.held)" }
        let share = await other.currentShare
        #expect(learnt, "node b's budget learnt node a's pause; b's share \(String(describing: share)), rows \(shares)")
        #expect(own.pausedUntil >= until)
        #expect(await eventually(8) { other.pausedUntil(lane: "app-2") >= until - 100 }, "node b's budget learnt that app-2 waits")
        #expect(other.pausedUntil(lane: "app-1") == 0, "only the user that was throttled waits")
        for keeper in keepers { keeper.cancel() }
        for keeper in keepers { _ = await keeper.result }
        for store in stores { await store.close() }
    }
}
