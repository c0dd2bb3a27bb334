import Logging
import SwitchboardEngine
import SwitchboardTesting
import Synchronization
import Testing

/// What the person on call reads in the log while the store refuses writes.
@Suite("Store health in the log")
struct StoreHealthTests {
    /// Keeps every line logged through it, message and level.
    struct Lines: LogHandler {
        let kept: Locked<[(Logger.Level, String)]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { kept.withLock { $0.append((event.level, "\(event.message)")) } }
    }

    struct Refusal: Error, CustomStringConvertible { var description: String { "database or disk is full" } }

    @Test("a store that flickers between refusing and taking writes is one outage in the log; past the interval it is told again")
    func flicker() {
        let kept = Locked<[(Logger.Level, String)]>([])
        let clock = ManualClock()
        let health = StoreHealth(clock: clock, logger: Logger(label: "test") { _ in Lines(kept: kept) }, interval: .seconds(30))
        func lines(_ text: String) -> Int { kept.withLock { $0.filter { $0.1.contains(text) }.count } }

        health.refused("storing a webhook", error: Refusal())
        #expect(health.isRefusingWrites)
        health.accepted()
        #expect(!health.isRefusingWrites)
        // A small write went through; the disk is still full.
        for _ in 0..<50 {
            clock.advance(by: 100)
            health.refused("storing a webhook", error: Refusal())
            health.accepted()
            health.refused("recording a delivery's outcome", error: Refusal())
        }
        #expect(health.isRefusingWrites, "the last write was refused")
        #expect(lines("the store refuses writes") == 1)
        #expect(lines("the store takes writes again") == 1, "one recovery, of the refusal that was told")

        clock.advance(by: 30_000)
        health.refused("storing a webhook", error: Refusal())
        #expect(lines("the store refuses writes") == 2, "told again once the interval has passed")
        health.accepted()
        #expect(lines("the store takes writes again") == 2)
    }
}
