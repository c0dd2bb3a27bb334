import SwitchboardTesting
import Testing

@testable import SwitchboardEngine
@testable import SwitchboardModel

@Suite("Splitting a target's limits between nodes")
struct FairShareTests {
    @Test("max-min fair by demand, the rest spread evenly, parts adding up to the limit")
    func split() {
        // Nobody wants anything: even parts, the first taking the unit that does not divide.
        #expect(FairShare.split(10, demands: [0, 0, 0]) == [4, 3, 3])
        // One busy node, two idle: the busy one gets what it wants, the rest is spread.
        #expect(FairShare.split(52, demands: [40, 0, 0]) == [44, 4, 4])
        // Everyone wants more than an even part: even parts.
        #expect(FairShare.split(52, demands: [100, 100, 100]) == [18, 17, 17])
        // A small demand is met in full; the others split what is left.
        #expect(FairShare.split(52, demands: [2, 100, 100]) == [2, 25, 25])
        #expect(FairShare.split(0, demands: [5, 5]) == [0, 0])
        #expect(FairShare.split(7, demands: []) == [])
        for demands in [[3, 9, 1], [0, 60, 60, 2], [1_000, 1, 1]] as [[Int64]] {
            #expect(FairShare.split(52, demands: demands).reduce(0, +) == 52)
        }
    }

    @Test("a holder never takes more than the limit minus what the others still hold")
    func grantWithinWhatOthersHold() {
        let limits = SystemLimits(maxConcurrent: 10, maxRequests: 100, window: .seconds(1))
        let busy = BudgetUse(concurrency: 10, requests: 100, executionMillis: 0)
        // The other holder's fair part is half, but it still holds 8 in flight and 90 granted in the window.
        let other = BudgetShareRow(
            system: "erp", holder: "a/1", node: "a", held: BudgetUse(concurrency: 8, requests: 90, executionMillis: 0), demand: busy, live: true)
        let grant = BudgetShareKeeper.grant(limits: limits, holder: "b/1", demand: busy, others: [other])
        #expect(grant.concurrency == 2)
        #expect(grant.requests == 10)
        // Once it has lowered to its fair part, the second holder gets the other half.
        var lowered = other
        lowered.held = BudgetUse(concurrency: 5, requests: 50, executionMillis: 0)
        #expect(BudgetShareKeeper.grant(limits: limits, holder: "b/1", demand: busy, others: [lowered]).concurrency == 5)
        // A holder whose lease lapsed takes no part in the split, but what it holds still counts.
        var dead = lowered
        dead.live = false
        dead.demand = .zero
        let alone = BudgetShareKeeper.grant(limits: limits, holder: "b/1", demand: busy, others: [dead])
        #expect(alone.concurrency == 5)
        dead.held = .zero
        #expect(BudgetShareKeeper.grant(limits: limits, holder: "b/1", demand: busy, others: [dead]) == BudgetUse(concurrency: 10, requests: 100, executionMillis: 0))
    }

    @Test("over a window much longer than the lease, a holder gets what it used plus three leases' worth of the rate, not the whole window")
    func grantBoundedByLease() {
        // Dataverse's service protection limits for one user: 6,000 requests and 20 minutes of execution per 5 minutes.
        let limits = SystemLimits(maxConcurrent: 52, maxRequests: 6_000, window: .seconds(300), maxExecution: .seconds(1_200))
        let busy = BudgetUse(concurrency: 52, requests: 6_000, executionMillis: 1_200_000)
        let used = BudgetUse(concurrency: 2, requests: 100, executionMillis: 30_000)
        let grant = BudgetShareKeeper.grant(limits: limits, holder: "a/1", demand: busy, others: [], used: used, lease: .seconds(10))
        // 6,000 × 3 × 10 s / 300 s = 600 requests; 1,200 s × 3 × 10 / 300 = 120 s.
        #expect(grant == BudgetUse(concurrency: 52, requests: 700, executionMillis: 150_000))
        // Over a short window the whole limit is within three leases: the fair part stands.
        let short = SystemLimits(maxConcurrent: 10, maxRequests: 100, window: .seconds(1))
        #expect(BudgetShareKeeper.grant(limits: short, holder: "a/1", demand: busy, others: [], used: .zero, lease: .seconds(10)).requests == 100)
    }

    @Test("a shared budget grants nothing before its share, within its share after, and lowers at once")
    func sharedBudget() async throws {
        let clock = ManualClock()
        let budget = SystemBudget(systemID: "erp", limits: SystemLimits(maxConcurrent: 10, maxRequests: 100, window: .seconds(1)), clock: clock, shared: true)
        let first = Task { try await budget.acquire() }
        #expect(await eventually { await budget.demand().concurrency == Int(Int32.max) })
        #expect(await budget.permitsInUse == 0)
        await budget.raise(to: BudgetUse(concurrency: 2, requests: 3, executionMillis: 0), until: clock.now() + 10_000)
        clock.advance(by: 50)
        try await first.value
        try await budget.acquire()
        #expect(await budget.concurrencyLimit == 2)
        let third = Task { try await budget.acquire() }
        #expect(await eventually { await budget.demand().concurrency == Int(Int32.max) })
        #expect(await budget.permitsInUse == 2)
        // Lowered to 1 while 2 are out: it holds 2 in flight and 2 granted until they end.
        let held = await budget.lower(to: BudgetUse(concurrency: 1, requests: 1, executionMillis: 0))
        #expect(held == BudgetUse(concurrency: 2, requests: 2, executionMillis: 0))
        await budget.release()
        await budget.release()
        // Its share allows one in flight and two in the window, but two were granted in it: the
        // third waits for the window to move on.
        await budget.raise(to: BudgetUse(concurrency: 1, requests: 2, executionMillis: 0), until: clock.now() + 10_000)
        #expect(await eventually { clock.sleeperCount == 1 })
        #expect(await budget.permitsInUse == 0)
        clock.advance(by: 1_000)
        try await third.value
        #expect(await budget.permitsInUse == 1)
        // A share whose lease lapsed grants nothing.
        await budget.release()
        clock.advance(by: 10_000)
        let late = Task { try await budget.acquire() }
        #expect(await eventually { await budget.demand().concurrency == Int(Int32.max) })
        clock.advance(by: 100)
        #expect(await budget.permitsInUse == 0)
        late.cancel()
        clock.advance(by: 100)
        _ = await late.result
    }
}
