import Synchronization
import SwitchboardEngine

/// A clock that moves only when a test advances it; sleepers wake when their deadline is passed.
final class ManualClock: WallClock {
    private struct Sleeper {
        let deadline: Int64
        let continuation: CheckedContinuation<Void, Never>
    }

    private let state: Mutex<(now: Int64, sleepers: [Sleeper])>

    init(now: Int64 = 1_000_000) {
        state = Mutex((now, []))
    }

    func now() -> Int64 { state.withLock { $0.now } }

    func sleep(until deadline: Int64) async throws {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if deadline <= state.now { return true }
                state.sleepers.append(Sleeper(deadline: deadline, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    func advance(by millis: Int64) {
        let due = state.withLock { state -> [Sleeper] in
            state.now += millis
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// How many tasks are waiting on the clock.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }
}

/// Waits (yielding, never sleeping on the wall clock for long) until `condition` holds or `seconds` pass.
func eventually(_ seconds: Double = 10, _ condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
