import SwitchboardEngine
import Synchronization

/// A clock that moves only when a test advances it; sleepers wake when their deadline is passed,
/// or at once when their task is cancelled (then `sleep` throws `CancellationError`).
public final class ManualClock: WallClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: Int64
        let continuation: CheckedContinuation<Void, Never>
    }

    private let state: Mutex<(now: Int64, sleepers: [Sleeper])>

    public init(now: Int64 = 1_000_000) {
        state = Mutex((now, []))
    }

    public func now() -> Int64 { state.withLock { $0.now } }

    public func sleep(until deadline: Int64) async throws {
        try Task.checkCancellation()
        let id = UInt64.random(in: 0...UInt64.max)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            // A cancelled sleeper wakes at once instead of waiting for the clock to pass its deadline.
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by millis: Int64) {
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
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }
}

/// Waits (yielding, never sleeping on the wall clock for long) until `condition` holds or `seconds` pass (30 by default:
/// generous, since a test that passes waits only as long as the event takes, and a busy CI machine can be slow).
public func eventually(_ seconds: Double = 30, _ condition: @Sendable () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
