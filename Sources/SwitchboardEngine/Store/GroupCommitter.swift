import Synchronization

/// Commits concurrent calls together: one transaction (and one fsync) for every item that arrived
/// while the previous commit was on its way to the disk.
///
/// Durability is not weakened: each caller returns only after the transaction holding its item
/// committed. No background task: the first caller to find no commit running leads one batch, and
/// hands the lead to a waiting caller when it is done (leader/follower group commit).
public final class GroupCommitter<Input: Sendable, Output: Sendable>: Sendable {
    private enum Signal: Sendable {
        case lead
        case done(Result<Output, any Error>)
    }

    private struct Pending {
        var input: Input
        var waiter: OneShot<Signal>
    }

    private struct State {
        var pending: [Pending] = []
        var committing = false
    }

    private let commit: @Sendable ([Input]) async throws -> [Output]
    private let state = Mutex(State())
    /// Most items in one transaction.
    public let maxBatch: Int

    /// - Parameters:
    ///   - maxBatch: Most items in one commit. Default 2,000.
    ///   - commit: Commits a batch in one transaction; returns one output per input, in order.
    public init(maxBatch: Int = 2_000, commit: @escaping @Sendable ([Input]) async throws -> [Output]) {
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Commits one item together with whatever else is waiting; returns after it is committed.
    public func submit(_ input: Input) async throws -> Output {
        let waiter = OneShot<Signal>()
        let leads = state.withLock { state -> Bool in
            state.pending.append(Pending(input: input, waiter: waiter))
            if state.committing { return false }
            state.committing = true
            return true
        }
        if leads { await commitBatch() }
        while true {
            switch await waiter.receive() {
            case .lead: await commitBatch()
            case .done(let result): return try result.get()
            }
        }
    }

    private func commitBatch() async {
        let batch = state.withLock { state -> [Pending] in
            let count = min(maxBatch, state.pending.count)
            let batch = Array(state.pending.prefix(count))
            state.pending.removeFirst(count)
            return batch
        }
        do {
            let outputs = try await commit(batch.map(\.input))
            precondition(outputs.count == batch.count, "a group commit must return one output per input")
            for (pending, output) in zip(batch, outputs) { pending.waiter.send(.done(.success(output))) }
        } catch {
            for pending in batch { pending.waiter.send(.done(.failure(error))) }
        }
        let next = state.withLock { state -> Pending? in
            guard let next = state.pending.first else {
                state.committing = false
                return nil
            }
            return next
        }
        next?.waiter.send(.lead)
    }
}
