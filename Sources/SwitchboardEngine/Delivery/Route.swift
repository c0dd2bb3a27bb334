import SwitchboardModel
import Tracing

/// An integration made ready to run: its steps compiled and its concurrency settled.
public struct Route: Sendable {
    public let integration: Integration
    public let pipeline: Pipeline
    public var id: String { integration.id }
    public var targetSystem: String { integration.target.system }
    public var policy: DeliveryPolicy { integration.delivery }
    /// Messages of this integration in flight at once: `delivery.concurrency`, or the target
    /// kind's default (16; for a kind writing in batches, enough for its batches to fill).
    public let concurrency: Int

    /// - Parameter defaultConcurrency: The target kind's default, used when `delivery.concurrency` is not set.
    public init(integration: Integration, defaultConcurrency: Int = 16) {
        self.integration = integration
        self.pipeline = Pipeline(integration.steps)
        concurrency = integration.delivery.concurrency ?? defaultConcurrency
    }

    /// What the steps make of a message: the delivery to hand the target's connector, or why it is dropped.
    public enum Outcome: Sendable {
        case deliver(Delivery)
        case filtered(reason: String)
    }

    /// Runs the steps on one message's document; with a parent span, each step in a span of its own.
    public func run(
        _ document: JSONValue, messageID: String = "test", attempt: Int = 1, orderingKey: String? = nil, tracing: MessageTracing = .off,
        parent: (any Span)? = nil
    ) throws(StepError) -> Outcome {
        let ran = if let parent { try pipeline.run(document, tracing: tracing, parent: parent) } else { try pipeline.run(document) }
        switch ran {
        case .drop(let reason): return .filtered(reason: reason)
        case .next(let output):
            return .deliver(
                Delivery(
                    messageID: messageID, integration: id, orderingKey: orderingKey, attempt: attempt, document: output,
                    target: integration.target.settings))
        }
    }
}
