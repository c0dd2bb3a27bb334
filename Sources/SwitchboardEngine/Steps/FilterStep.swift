import SwitchboardModel

/// Keeps a message when its condition holds and drops it, with the reason, when it does not.
public struct FilterStep: MessageStep {
    public let condition: Condition

    public func apply(to document: JSONValue) throws(StepError) -> StepOutcome {
        guard let why = condition.unmet(by: document) else { return .next(document) }
        return .drop(reason: "filter did not match: \(why)")
    }
}

extension Condition {
    /// Nil when the condition holds for `document`; otherwise which path and value failed it,
    /// such as `$.status is "pending", not "paid"`.
    public func unmet(by document: JSONValue) -> String? {
        switch self {
        case .all(let conditions):
            return conditions.lazy.compactMap { $0.unmet(by: document) }.first
        case .any(let conditions):
            guard !conditions.contains(where: { $0.holds(for: document) }) else { return nil }
            let reasons = conditions.prefix(3).compactMap { $0.unmet(by: document) }
            return "none of the \(conditions.count) holds (" + reasons.joined(separator: "; ") + (conditions.count > 3 ? "; ..." : "") + ")"
        case .not(let condition):
            guard condition.holds(for: document) else { return nil }
            return "\(condition.described(for: document)), which the filter excludes"
        case .compare(let path, let comparison):
            guard !holds(for: document) else { return nil }
            let value = path.value(in: document)
            let shown = value.map(Self.shown) ?? "missing"
            switch comparison {
            case .exists(true): return "\(path) is \(value == nil ? "missing" : "null")"
            case .exists(false): return "\(path) is present (\(shown))"
            case .equals(let expected): return "\(path) is \(shown), not \(Self.shown(expected))"
            case .notEquals(let excluded): return "\(path) is \(Self.shown(excluded))"
            case .oneOf(let options): return "\(path) is \(shown), not one of \(options.prefix(5).map(Self.shown).joined(separator: ", "))"
            case .greaterThan(let bound): return "\(path) is \(shown), not more than \(Self.shown(.double(bound)))"
            case .lessThan(let bound): return "\(path) is \(shown), not less than \(Self.shown(.double(bound)))"
            }
        }
    }

    /// What a condition that holds found, for `not`'s reason.
    func described(for document: JSONValue) -> String {
        switch self {
        case .compare(let path, _): return "\(path) is \(path.value(in: document).map(Self.shown) ?? "missing")"
        case .all: return "all of its conditions hold"
        case .any: return "one of its conditions holds"
        case .not(let inner): return inner.unmet(by: document) ?? "its condition does not hold"
        }
    }

    /// A value as the reason shows it: JSON, at most 80 characters.
    static func shown(_ value: JSONValue) -> String {
        let text: String
        if case .double(let number) = value, number == number.rounded(), abs(number) < 1e15 {
            text = String(Int64(number))
        } else {
            text = value.jsonString
        }
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }

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

    /// Equal as JSON at any depth, with numbers compared by value (`1` equals `1.0`); two integers
    /// are compared exactly, whatever their size.
    public static func same(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int(let left), .int(let right)): return left == right
        case (.largeInteger(let left), .largeInteger(let right)): return left == right
        case (.int, .largeInteger), (.largeInteger, .int): return false
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
        case .largeInteger(let digits): Double(digits)
        case .double(let number): number
        default: nil
        }
    }
}
