import Testing

@testable import SwitchboardEngine
@testable import SwitchboardModel

@Suite("Message lifecycle")
struct MessageLifecycleTests {
    let start: Int64 = 1_000_000

    @Test("ready → leased → delivered counts one attempt")
    func deliveredFirstTime() throws {
        var lifecycle = MessageLifecycle(availableAt: start)
        #expect(try lifecycle.apply(.lease(now: start, duration: 30_000)) == .leased)
        #expect(lifecycle.state == .leased)
        #expect(lifecycle.leaseExpiresAt == start + 30_000)
        #expect(try lifecycle.apply(.delivered) == .delivered)
        #expect(lifecycle.state == .delivered)
        #expect(lifecycle.attempts == 1)
        #expect(!lifecycle.isClaimable(at: .max))
    }

    @Test("a retryable failure waits for the backoff, or for Retry-After when that is later")
    func retryWait() throws {
        var lifecycle = MessageLifecycle(availableAt: start)
        try lifecycle.apply(.lease(now: start, duration: 30_000))
        #expect(try lifecycle.apply(.failed(.retryable(notBefore: nil), now: start + 10, backoff: 500, maxAttempts: 5)) == .retryScheduled)
        #expect(lifecycle.state == .retryWait)
        #expect(lifecycle.availableAt == start + 510)
        #expect(!lifecycle.isClaimable(at: start + 509))
        #expect(lifecycle.isClaimable(at: start + 510))

        try lifecycle.apply(.lease(now: start + 510, duration: 30_000))
        try lifecycle.apply(.failed(.retryable(notBefore: start + 2_600), now: start + 600, backoff: 100, maxAttempts: 5))
        #expect(lifecycle.availableAt == start + 2_600)
        #expect(lifecycle.attempts == 2)
    }

    @Test("the last allowed attempt failing makes the message dead")
    func attemptsExhausted() throws {
        var lifecycle = MessageLifecycle(availableAt: start)
        var now = start
        for attempt in 1...3 {
            try lifecycle.apply(.lease(now: now, duration: 1_000))
            let reason = try lifecycle.apply(.failed(.retryable(notBefore: nil), now: now, backoff: 10, maxAttempts: 3))
            #expect(reason == (attempt < 3 ? .retryScheduled : .attemptsExhausted))
            now += 10
        }
        #expect(lifecycle.state == .dead)
        #expect(lifecycle.attempts == 3)
    }

    @Test("a permanent failure is dead at once; replay makes it ready with a fresh count")
    func permanentThenReplay() throws {
        var lifecycle = MessageLifecycle(availableAt: start)
        try lifecycle.apply(.lease(now: start, duration: 1_000))
        #expect(try lifecycle.apply(.failed(.permanent, now: start, backoff: 0, maxAttempts: 10)) == .permanentFailure)
        #expect(lifecycle.state == .dead)
        #expect(try lifecycle.apply(.replay(now: start + 5_000)) == .replayed)
        #expect(lifecycle.state == .ready)
        #expect(lifecycle.attempts == 0)
        #expect(lifecycle.isClaimable(at: start + 5_000))
    }

    @Test("an expired lease can be claimed again; a live one cannot")
    func leaseExpiry() throws {
        var lifecycle = MessageLifecycle(availableAt: start)
        try lifecycle.apply(.lease(now: start, duration: 1_000))
        #expect(!lifecycle.isClaimable(at: start + 999))
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try lifecycle.apply(.lease(now: start + 999, duration: 1_000)) }
        #expect(lifecycle.isClaimable(at: start + 1_000))
        try lifecycle.apply(.lease(now: start + 1_000, duration: 1_000))
        #expect(lifecycle.leaseExpiresAt == start + 2_000)
    }

    @Test("released messages go back to ready without counting an attempt")
    func released() throws {
        var lifecycle = MessageLifecycle(availableAt: start)
        try lifecycle.apply(.lease(now: start, duration: 1_000))
        #expect(try lifecycle.apply(.released(at: start + 2_000)) == .released)
        #expect(lifecycle.state == .ready)
        #expect(lifecycle.attempts == 0)
        #expect(lifecycle.availableAt == start + 2_000)
    }

    @Test("events that make no sense in a state are refused and change nothing")
    func invalidTransitions() {
        var lifecycle = MessageLifecycle(availableAt: start)
        let before = lifecycle
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try lifecycle.apply(.delivered) }
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try lifecycle.apply(.replay(now: start)) }
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try lifecycle.apply(.lease(now: start - 1, duration: 10)) }
        #expect(lifecycle == before)
        var delivered = MessageLifecycle(state: .delivered, attempts: 1, availableAt: start)
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try delivered.apply(.lease(now: .max, duration: 1)) }
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try delivered.apply(.replay(now: start)) }
    }
}

@Suite("Retry timing")
struct RetryTimingTests {
    @Test("backoff grows by the multiplier up to the maximum; full jitter stays inside it")
    func backoff() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2, jitter: .none)
        #expect((1...6).map { backoff.delayMillis(afterAttempt: $0, unit: 0.5) } == [100, 200, 400, 800, 1000, 1000])
        let jittered = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2, jitter: .full)
        #expect(jittered.delayMillis(afterAttempt: 3, unit: 0) == 0)
        #expect(jittered.delayMillis(afterAttempt: 3, unit: 0.5) == 200)
        #expect(jittered.delayMillis(afterAttempt: 3, unit: 0.999_999) == 399)
    }

    @Test("Retry-After in seconds and as an HTTP date")
    func retryAfter() {
        #expect(RetryAfter.deadline("2", now: 5_000) == 7_000)
        #expect(RetryAfter.deadline(" 0 ", now: 5_000) == 5_000)
        // 1994-11-06T08:49:37Z is 784111777 s after 1970.
        #expect(RetryAfter.deadline("Sun, 06 Nov 1994 08:49:37 GMT", now: 0) == 784_111_777_000)
        #expect(RetryAfter.deadline("Sun, 06 Nov 1994 08:49:37 GMT", now: 900_000_000_000) == 900_000_000_000)
        #expect(RetryAfter.deadline("soon", now: 0) == nil)
    }

    @Test("outcomes are classified by status, and transport failures retry")
    func classification() {
        func verdict(_ status: Int, _ retryAfter: String? = nil) -> OutcomeClassifier.Verdict {
            OutcomeClassifier.classify(.response(status: status, retryAfter: retryAfter, body: ""), now: 1_000)
        }
        #expect(verdict(200) == .delivered)
        #expect(verdict(204) == .delivered)
        for status in [408, 425, 429, 500, 502, 503, 504] { #expect(verdict(status) == .retryable(notBefore: nil)) }
        #expect(verdict(429, "3") == .retryable(notBefore: 4_000))
        for status in [400, 401, 403, 404, 409, 412, 422, 301] { #expect(verdict(status) == .permanent) }
        #expect(OutcomeClassifier.classify(.timeout, now: 0) == .retryable(notBefore: nil))
        #expect(OutcomeClassifier.classify(.connectionFailed("refused"), now: 0) == .retryable(notBefore: nil))
    }

    @Test("a message the hub stops while processing is taken back; past the limit it is dead as poison; a replay starts again")
    func interruptions() throws {
        var lifecycle = MessageLifecycle(availableAt: 0)
        for count in 1...3 {
            try lifecycle.apply(.lease(now: 10, duration: 1_000))
            #expect(try lifecycle.apply(.abandoned(at: 10, maxInterruptions: 3)) == .abandoned)
            #expect(lifecycle.state == .ready && lifecycle.interruptions == count && lifecycle.attempts == 0)
        }
        try lifecycle.apply(.lease(now: 10, duration: 1_000))
        #expect(try lifecycle.apply(.abandoned(at: 20, maxInterruptions: 3)) == .poison)
        #expect(lifecycle.state == .dead && lifecycle.interruptions == 4)
        try lifecycle.apply(.replay(now: 30))
        #expect(lifecycle.state == .ready && lifecycle.interruptions == 0)
        #expect(throws: MessageLifecycle.InvalidTransition.self) { try lifecycle.apply(.abandoned(at: 40, maxInterruptions: 3)) }
    }

    @Test("an attempt cut short by the end of a shutdown's grace counts as an attempt and makes the message ready")
    func interruptedAttempt() throws {
        var lifecycle = MessageLifecycle(availableAt: 0)
        try lifecycle.apply(.lease(now: 0, duration: 1_000))
        #expect(try lifecycle.apply(.interruptedAttempt(at: 500)) == .interrupted)
        #expect(lifecycle.state == .ready && lifecycle.attempts == 1 && lifecycle.availableAt == 500 && lifecycle.interruptions == 0)
    }
}
