import SwitchboardModel

/// Keeps a message when its condition holds and drops it, with the reason, when it does not.
public struct FilterStep: MessageStep {
    public let condition: Condition

    public func apply(to document: JSONValue) throws(StepError) -> StepOutcome {
        condition.holds(for: document) ? .next(document) : .drop(reason: "filter did not match")
    }
}

extension Condition {
    public func holds(for document: JSONValue) -> Bool {
        switch self {
        case .all(let conditions): return conditions.allSatisfy { $0.holds(for: document) }
        case .any(let conditions): return conditions.contains { $0.holds(for: document) }
        case .not(let condition): return !condition.holds(for: document)
        case .compare(let path, let comparison):
            let value = path.value(in: document)
            switch comparison {
            case .exists(let expected): return (value != nil && value != .null) == expected
            case .equals(let expected): return value.map { Self.same($0, expected) } ?? false
            case .notEquals(let expected): return !(value.map { Self.same($0, expected) } ?? false)
            case .oneOf(let options): return value.map { value in options.contains { Self.same(value, $0) } } ?? false
            case .greaterThan(let bound): return value.flatMap(Self.number).map { $0 > bound } ?? false
            case .lessThan(let bound): return value.flatMap(Self.number).map { $0 < bound } ?? false
            }
        }
    }

    /// Equal as JSON at any depth, with numbers compared by value (`1` equals `1.0`).
    public static func same(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { same($0, $1) }
        case (.object(let left), .object(let right)):
            return left.count == right.count && left.allSatisfy { key, value in right[key].map { same(value, $0) } ?? false }
        default:
            if let left = number(lhs), let right = number(rhs) { return left == right }
            return lhs == rhs
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}
