import Synchronization

/// A value handed from one task to another; whoever arrives second does not wait. One value is
/// held at a time: each `send` is meant to be taken by one `receive` before the next.
public final class OneShot<Value: Sendable>: Sendable {
    public init() {}

    private let state = Mutex<(value: Value?, continuation: CheckedContinuation<Value, Never>?)>((nil, nil))

    public func send(_ value: Value) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, Never>? in
            if let continuation = state.continuation {
                state.continuation = nil
                return continuation
            }
            state.value = value
            return nil
        }
        continuation?.resume(returning: value)
    }

    public func receive() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value {
                    state.value = nil
                    return value
                }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Wakes a sleeping loop early. A signal sent while nobody waits is kept, so none is lost.
public final class WakeUp: Sendable {
    private let state = Mutex<(pending: Bool, continuation: CheckedContinuation<Void, Never>?)>((false, nil))

    public init() {}

    public func signal() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let continuation = state.continuation {
                state.continuation = nil
                return continuation
            }
            state.pending = true
            return nil
        }
        continuation?.resume()
    }

    /// Returns at the next signal, or at `deadline` on the clock, whichever comes first.
    public func wait(until deadline: Int64, clock: any WallClock) async {
        if state.withLock({ state in
            defer { state.pending = false }; return state.pending
        }) {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await clock.sleep(until: deadline)
                if !Task.isCancelled { self.signal() }
            }
            group.addTask {
                await withCheckedContinuation { continuation in
                    let already = self.state.withLock { state -> Bool in
                        if state.pending { state.pending = false; return true }
                        state.continuation = continuation
                        return false
                    }
                    if already { continuation.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            // The sleeper may have been the one to finish; then the waiter is still parked.
            let parked = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.continuation = nil }
                return state.continuation
            }
            parked?.resume()
        }
        state.withLock { $0.pending = false }
    }
}
