import FinanceOperationsEmulatorCore
import Synchronization

/// What the emulator answered, for `GET /_emulator/stats` and `GET /_emulator/metrics`:
/// requests to `/data` by status and by application, and (from the throttle) 429s by priority.
final class EmulatorCounters: Sendable {
    private struct State {
        var byStatus: [Int: Int] = [:]
        var byClient: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func record(status: Int, client: String?) {
        state.withLock { state in
            state.byStatus[status, default: 0] += 1
            if let client { state.byClient[client, default: 0] += 1 }
        }
    }

    var snapshot: (byStatus: [Int: Int], byClient: [String: Int]) { state.withLock { ($0.byStatus, $0.byClient) } }
}
