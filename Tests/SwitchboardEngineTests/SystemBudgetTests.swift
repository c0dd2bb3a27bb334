import SwitchboardTesting
import Testing

@testable import SwitchboardEngine
@testable import SwitchboardModel

@Suite("Target system budgets on a manual clock")
struct SystemBudgetTests {
    @Test("no more than max_requests permits in any sliding window")
    func slidingWindow() async throws {
        let clock = ManualClock()
        let budget = SystemBudget(systemID: "erp", limits: SystemLimits(maxRequests: 2, window: .seconds(1)), clock: clock)
        try await budget.acquire()
        await budget.release()
        clock.advance(by: 400)
        try await budget.acquire()
        await budget.release()
        let third = Task {
            try await budget.acquire(); return clock.now()
        }
        #expect(await eventually { clock.sleeperCount == 1 })
        clock.advance(by: 599)  // 999 ms after the first grant: still two in the window
        #expect(clock.sleeperCount == 1)
        clock.advance(by: 1)
        let grantedAt = try await third.value
        #expect(grantedAt == 1_000_000 + 1_000)
    }

    @Test("no more than max_concurrent permits out at once")
    func concurrency() async throws {
        let budget = SystemBudget(systemID: "erp", limits: SystemLimits(maxConcurrent: 2), clock: ManualClock())
        try await budget.acquire()
        try await budget.acquire()
        let third = Task { try await budget.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(await budget.permitsInUse == 2)
        await budget.release()
        try await third.value
        #expect(await budget.permitsInUse == 2)
    }

    @Test("a caller waiting for a slot that is cancelled stops waiting at once, and the next release still reaches the one after it")
    func cancelledWaiter() async throws {
        let budget = SystemBudget(systemID: "erp", limits: SystemLimits(maxConcurrent: 1), clock: ManualClock())
        try await budget.acquire()
        let cancelled = Task { try await budget.acquire() }
        let next = Task { try await budget.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        cancelled.cancel()
        // Without a release: it must not wait for one.
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(await budget.permitsInUse == 1)
        await budget.release()
        try await next.value
        #expect(await budget.permitsInUse == 1)
    }

    @Test("a shared budget's caller waiting for want of share is cancelled without a release or a new share")
    func cancelledWithoutShare() async throws {
        let budget = SystemBudget(systemID: "erp", limits: SystemLimits(maxConcurrent: 4), clock: ManualClock(), shared: true)
        await budget.raise(to: BudgetUse(concurrency: 0, requests: 0, executionMillis: 0), until: .max)
        let waiting = Task { try await budget.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test("adaptive concurrency starts low, takes the target's hint, halves on 429 and grows one per round of clean answers")
    func adaptive() async throws {
        let budget = SystemBudget(systemID: "crm", limits: SystemLimits(maxConcurrent: 52, adaptiveStart: 4), clock: ManualClock())
        #expect(await budget.concurrencyLimit == 4)
        for _ in 0..<4 { try await budget.acquire() }
        let fifth = Task { try await budget.acquire() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(await budget.permitsInUse == 4)
        // The first hint sets the limit and lets the waiter through; later hints do not override adaptation.
        await budget.record(.hint(8))
        try await fifth.value
        #expect(await budget.permitsInUse == 5)
        #expect(await budget.concurrencyLimit == 8)
        await budget.record(.throttled)
        #expect(await budget.concurrencyLimit == 4)
        await budget.record(.hint(16))
        #expect(await budget.concurrencyLimit == 4)
        // About one more permit per `limit` clean answers: 4.0 → 6.03 after ten.
        for _ in 0..<10 { await budget.record(.clean) }
        #expect(await budget.concurrencyLimit == 6)
        for _ in 0..<10 { await budget.record(.throttled) }
        #expect(await budget.concurrencyLimit == 1)
        for _ in 0..<10_000 { await budget.record(.clean) }
        #expect(await budget.concurrencyLimit == 52)
    }

    @Test("a pause from Retry-After holds every permit until it ends")
    func pause() async throws {
        let clock = ManualClock()
        let budget = SystemBudget(systemID: "erp", limits: SystemLimits(), clock: clock)
        await budget.pause(until: clock.now() + 2_000)
        await budget.pause(until: clock.now() + 500)  // an earlier deadline does not shorten it
        let waiting = Task {
            try await budget.acquire(); return clock.now()
        }
        #expect(await eventually { clock.sleeperCount == 1 })
        clock.advance(by: 1_999)
        #expect(clock.sleeperCount == 1)
        clock.advance(by: 1)
        #expect(try await waiting.value == 1_000_000 + 2_000)
    }

    @Test("with max_execution_time, no permit while finished time in the window plus the expected time of those in flight would pass it")
    func executionTime() async throws {
        let clock = ManualClock()
        let budget = SystemBudget(systemID: "crm", limits: SystemLimits(window: .seconds(10), maxExecution: .seconds(1)), clock: clock)
        // An idle budget always admits, however long requests have taken.
        try await budget.acquire()
        clock.advance(by: 400)
        await budget.release(executionMillis: 400)
        try await budget.acquire()
        // 400 ms finished + 2 × 400 ms expected (the one in flight and this one) > 1 s: it waits.
        let third = Task {
            try await budget.acquire(); return clock.now()
        }
        try await Task.sleep(for: .milliseconds(20))
        #expect(await budget.permitsInUse == 1)
        clock.advance(by: 400)
        await budget.release(executionMillis: 400)
        // 800 ms finished in the window: the third waits until the first leaves it, 10 s after it started.
        #expect(await eventually { clock.sleeperCount == 1 })
        clock.advance(by: 10_000 - 800 - 1)
        #expect(clock.sleeperCount == 1)
        clock.advance(by: 1)
        #expect(try await third.value == 1_000_000 + 10_000)
    }
}
