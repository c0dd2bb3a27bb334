/// Gathers deliveries for a connector that carries several in one request (`Connector.batching`)
/// and hands each delivery its own outcome.
///
/// Guarantees: a delivery waits at most the policy's `wait` for others, or until `size` are
/// gathered; every delivery submitted gets exactly one outcome, the one the inner connector gave
/// its position in the batch (a short answer list counts as a broken answer for the rest).
public final class BatchingConnector: Connector {
    private let inner: any Connector
    private let gatherer: Gatherer

    /// - Parameter timeout: Time allowed for one batch request. Default 120 s, since a full batch
    ///   takes the target far longer than one message.
    public init(_ inner: any Connector, policy: BatchingPolicy, timeout: Duration = .seconds(120)) {
        self.inner = inner
        gatherer = Gatherer(policy: policy) { batch in await inner.attempt(batch: batch, timeout: timeout) }
    }

    /// Wraps `connector` when it asks for batching; returns it unchanged otherwise.
    public static func wrapping(_ connector: any Connector) -> any Connector {
        guard let policy = connector.batching, policy.size > 1 else { return connector }
        return BatchingConnector(connector, policy: policy)
    }

    public var batching: BatchingPolicy? { nil }

    public var connectionPoolSize: Int? { inner.connectionPoolSize }

    public func send(_ delivery: Delivery, timeout: Duration) async -> TransportOutcome {
        await gatherer.submit(delivery).outcome
    }

    public func attempt(_ delivery: Delivery, timeout: Duration) async -> Attempt {
        await gatherer.submit(delivery)
    }

    public func shutdown() async throws { try await inner.shutdown() }

    actor Gatherer {
        typealias Pending = (delivery: Delivery, reply: CheckedContinuation<Attempt, Never>)
        private let policy: BatchingPolicy
        private let send: @Sendable ([Delivery]) async -> [Attempt]
        private var pending: [Pending] = []
        private var flushScheduled = false

        init(policy: BatchingPolicy, send: @escaping @Sendable ([Delivery]) async -> [Attempt]) {
            self.policy = policy
            self.send = send
        }

        func submit(_ delivery: Delivery) async -> Attempt {
            await withCheckedContinuation { reply in
                pending.append((delivery, reply))
                if pending.count >= policy.size {
                    let batch = takeBatch()
                    Task { await self.deliver(batch) }
                } else if !flushScheduled {
                    flushScheduled = true
                    let wait = policy.wait
                    Task {
                        try? await Task.sleep(for: wait)
                        self.flushDue()
                    }
                }
            }
        }

        private func takeBatch() -> [Pending] {
            let batch = Array(pending.prefix(policy.size))
            pending.removeFirst(batch.count)
            return batch
        }

        private func flushDue() {
            flushScheduled = false
            while !pending.isEmpty {
                let batch = takeBatch()
                Task { await self.deliver(batch) }
            }
        }

        private nonisolated func deliver(_ batch: [Pending]) async {
            let outcomes = await send(batch.map(\.delivery))
            for (index, item) in batch.enumerated() {
                item.reply.resume(
                    returning: index < outcomes.count
                        ? outcomes[index]
                        : Attempt(.connectionFailed("the batch answer had \(outcomes.count) results for \(batch.count) messages")))
            }
        }
    }
}
