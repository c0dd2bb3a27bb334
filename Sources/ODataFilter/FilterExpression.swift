import Foundation
import SwitchboardValues

/// A parsed `$filter`: comparisons, `and`/`or`/`not`, `contains`/`startswith`/`endswith`, `null`.
package indirect enum FilterExpression: Sendable, Hashable {
    case compare(property: String, op: ComparisonOperator, literal: JSONValue)
    case function(name: String, property: String, text: String)
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)

    package enum ComparisonOperator: String, Sendable, CaseIterable {
        case eq, ne, gt, ge, lt, le
    }

    /// Every property the expression reads, to check them against the table.
    package var properties: [String] {
        switch self {
        case .compare(let property, _, _), .function(_, let property, _): [property]
        case .and(let left, let right), .or(let left, let right): left.properties + right.properties
        case .not(let inner): inner.properties
        }
    }

    /// Evaluates against a record's stored values (`values` keyed by property name as queried).
    /// Text compares without regard to case, as both services' SQL collations do; with the
    /// dialect's `wildcards`, `eq '*retail*'` matches text containing `retail`.
    package func matches(_ value: (String) -> JSONValue, dialect: FilterDialect) -> Bool {
        switch self {
        case .and(let left, let right): return left.matches(value, dialect: dialect) && right.matches(value, dialect: dialect)
        case .or(let left, let right): return left.matches(value, dialect: dialect) || right.matches(value, dialect: dialect)
        case .not(let inner): return !inner.matches(value, dialect: dialect)
        case .function(let name, let property, let text):
            guard case .string(let field) = value(property) else { return false }
            let haystack = field.lowercased(), needle = text.lowercased()
            switch name {
            case "contains": return haystack.contains(needle)
            case "startswith": return haystack.hasPrefix(needle)
            default: return haystack.hasSuffix(needle)
            }
        case .compare(let property, let op, let literal):
            let field = value(property)
            if case .null = literal {
                switch op {
                case .eq: return field == .null
                case .ne: return field != .null
                default: return false
                }
            }
            if case .null = field { return op == .ne }
            if dialect.wildcards, op == .eq || op == .ne, case .string(let pattern) = literal, pattern.contains("*") {
                guard case .string(let text) = field else { return op == .ne }
                return Self.wildcard(pattern.lowercased(), matches: text.lowercased()) == (op == .eq)
            }
            guard let order = Self.compare(field, literal, parseDate: dialect.parseDate) else { return op == .ne }
            switch op {
            case .eq: return order == .orderedSame
            case .ne: return order != .orderedSame
            case .gt: return order == .orderedDescending
            case .ge: return order != .orderedAscending
            case .lt: return order == .orderedAscending
            case .le: return order != .orderedDescending
            }
        }
    }

    /// `*` matches any run of characters (none included); everything else matches itself.
    static func wildcard(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        var rest = Substring(text)
        for (index, part) in parts.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if index == parts.count - 1 {
                return part.isEmpty || (rest.hasSuffix(part) && rest.count >= part.count)
            } else if !part.isEmpty {
                guard let found = rest.range(of: part) else { return false }
                rest = rest[found.upperBound...]
            }
        }
        return rest.isEmpty
    }

    /// Orders two values of comparable kinds; nil when they cannot be compared.
    package static func compare(_ left: JSONValue, _ right: JSONValue, parseDate: (String) -> Date?) -> ComparisonResult? {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            if let dateA = parseDate(a), let dateB = parseDate(b) { return order(dateA, dateB) }
            return a.lowercased().compare(b.lowercased())
        case (.bool(let a), .bool(let b)): return a == b ? .orderedSame : (!a ? .orderedAscending : .orderedDescending)
        default:
            guard let a = number(left), let b = number(right) else { return nil }
            return order(a, b)
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .largeInteger(let digits): Double(digits)
        case .double(let number): number
        default: nil
        }
    }

    private static func order<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult {
        a == b ? .orderedSame : a < b ? .orderedAscending : .orderedDescending
    }
}

