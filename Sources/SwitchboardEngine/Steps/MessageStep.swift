import SwitchboardModel
import Tracing

/// A step: a pure function of the message document. Steps never do I/O, so `switchboard test`
/// runs them exactly as the hub does.
public protocol MessageStep: Sendable {
    func apply(to document: JSONValue) throws(StepError) -> StepOutcome
}

public enum StepOutcome: Sendable, Hashable {
    case next(JSONValue)
    /// Dropped on purpose; the reason is recorded in the audit log.
    case drop(reason: String)
}

/// A message the steps cannot handle; it goes to the dead letters with this text, since retrying
/// the same input gives the same answer.
public struct StepError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The integration's steps in order.
public struct Pipeline: Sendable {
    public let steps: [any MessageStep]

    public init(_ definitions: [StepDefinition]) {
        steps = definitions.map { definition -> any MessageStep in
            switch definition {
            case .map(let fields): MapStep(fields: fields)
            case .filter(let condition): FilterStep(condition: condition)
            }
        }
    }

    public func run(_ document: JSONValue) throws(StepError) -> StepOutcome {
        var current = document
        for (index, step) in steps.enumerated() {
            switch try step.apply(to: current) {
            case .next(let next): current = next
            case .drop(let reason): return .drop(reason: "step \(index + 1): \(reason)")
            }
        }
        return .next(current)
    }

    /// Runs the steps, each in a span under `parent` named after its place and kind (`step 1 map`).
    func run(_ document: JSONValue, tracing: MessageTracing, parent: any Span) throws(StepError) -> StepOutcome {
        var current = document
        for (index, step) in steps.enumerated() {
            let span = tracing.start("step \(index + 1) \(Self.kind(of: step))", kind: .internal, parent: parent)
            defer { span?.end() }
            do {
                switch try step.apply(to: current) {
                case .next(let next): current = next
                case .drop(let reason):
                    span?.updateAttributes { $0["switchboard.dropped"] = reason }
                    return .drop(reason: "step \(index + 1): \(reason)")
                }
            } catch {
                span?.fail(error.message)
                throw error
            }
        }
        return .next(current)
    }

    static func kind(of step: any MessageStep) -> String {
        switch step {
        case is MapStep: "map"
        case is FilterStep: "filter"
        default: "step"
        }
    }
}
