import FinanceOperationsEmulatorCore
import Synchronization
import Testing

/// Priority-based throttling as a load model, on a clock the test moves.
@Suite("Finance and Operations emulator: priority-based throttling")
struct ResourceThrottleTests {
    final class Clock: Sendable {
        let now = Mutex<Int64>(1_000_000)
        func advance(_ millis: Int64) { now.withLock { $0 += millis } }
        var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    func throttle(_ clock: Clock, capacity: Int = 100) -> ResourceThrottle {
        var settings = ResourceThrottle.Settings()
        settings.capacity = capacity
        settings.windowMillis = 10_000
        return ResourceThrottle(settings: settings, clock: clock.read)
    }

    @Test("low priority is throttled first: at half the capacity low gets 429, medium goes on to three quarters, high to the whole")
    func prioritiesInOrder() {
        let clock = Clock()
        let throttle = throttle(clock)
        for _ in 0..<50 { #expect(throttle.admit(client: "low", priority: .low) == .admitted) }
        #expect(throttle.admit(client: "low", priority: .low) == .throttled(retryAfter: 5))
        for _ in 0..<25 { #expect(throttle.admit(client: "medium", priority: .medium) == .admitted) }
        #expect(throttle.admit(client: "medium", priority: .medium) == .throttled(retryAfter: 5))
        for _ in 0..<25 { #expect(throttle.admit(client: "high", priority: .high) == .admitted) }
        #expect(throttle.admit(client: "high", priority: .high) == .throttled(retryAfter: 5))
        #expect(throttle.throttledByPriority == [.low: 1, .medium: 1, .high: 1])
        // Once the window has passed, the load is gone.
        clock.advance(10_001)
        #expect(throttle.admit(client: "low", priority: .low) == .admitted)
    }

    @Test("a client that ignores Retry-After waits longer each time, up to the maximum; one that waits it out starts again from the base")
    func ignoringRetryAfter() {
        let clock = Clock()
        let throttle = throttle(clock, capacity: 10)
        for _ in 0..<5 { _ = throttle.admit(client: "a", priority: .low) }
        var waits: [Int] = []
        for _ in 0..<9 {
            if case .throttled(let seconds) = throttle.admit(client: "a", priority: .low) { waits.append(seconds) }
            clock.advance(100)
        }
        #expect(waits == [5, 10, 20, 40, 80, 160, 300, 300, 300])
        // Waiting out the last Retry-After (and the window) resets it.
        clock.advance(301_000)
        #expect(throttle.admit(client: "a", priority: .low) == .admitted)
        for _ in 0..<4 { _ = throttle.admit(client: "a", priority: .low) }
        #expect(throttle.admit(client: "a", priority: .low) == .throttled(retryAfter: 5))
    }

    @Test("a batch counts each of its operations; throttling off admits everything")
    func batchesAndOff() {
        let clock = Clock()
        let throttle = throttle(clock)
        #expect(throttle.admit(client: "b", priority: .high, operations: 90) == .admitted)
        #expect(throttle.admit(client: "b", priority: .high, operations: 11) == .throttled(retryAfter: 5))
        var settings = ResourceThrottle.Settings()
        settings.enabled = false
        settings.capacity = 1
        let off = ResourceThrottle(settings: settings, clock: clock.read)
        for _ in 0..<1_000 { #expect(off.admit(client: "c", priority: .low) == .admitted) }
    }
}
