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
    /// Text compares without regard to case, as Dataverse's SQL collation does.
    package func matches(_ value: (String) -> JSONValue) -> Bool {
        switch self {
        case .and(let left, let right): return left.matches(value) && right.matches(value)
        case .or(let left, let right): return left.matches(value) || right.matches(value)
        case .not(let inner): return !inner.matches(value)
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
            guard let order = Self.compare(field, literal) else { return op == .ne }
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

    /// Orders two values of comparable kinds; nil when they cannot be compared.
    static func compare(_ left: JSONValue, _ right: JSONValue) -> ComparisonResult? {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            if let dateA = ValueCoercion.parseDate(a), let dateB = ValueCoercion.parseDate(b) { return order(dateA, dateB) }
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

/// Reads `$filter` text into a `FilterExpression`, with Dataverse's kind of message on a syntax error.
///
/// Guarantee: no input can exhaust the stack. Nesting (parentheses and `not`) deeper than
/// `maxDepth`, or more than `maxTerms` terms joined by `and`/`or`, is refused as a bad request
/// before the tree grows, since parsing, evaluating and freeing the tree all recurse.
package struct FilterParser {
    private let text: [Character]
    private var index = 0
    private var depth = 0
    private var terms = 0
    /// Deepest nesting of parentheses and `not` accepted. 100.
    static let maxDepth = 100
    /// Most terms joined by `and` and `or` accepted. 500.
    static let maxTerms = 500

    private init(_ text: String) { self.text = Array(text) }

    package static func parse(_ text: String) throws(DataverseError) -> FilterExpression {
        var parser = FilterParser(text)
        let expression = try parser.orExpression()
        parser.skipSpaces()
        guard parser.index == parser.text.count else { throw parser.syntaxError("unexpected '\(String(parser.text[parser.index...]))'") }
        return expression
    }

    private mutating func orExpression() throws(DataverseError) -> FilterExpression {
        var left = try andExpression()
        while keyword("or") {
            try countTerm()
            left = .or(left, try andExpression())
        }
        return left
    }

    private mutating func andExpression() throws(DataverseError) -> FilterExpression {
        var left = try unary()
        while keyword("and") {
            try countTerm()
            left = .and(left, try unary())
        }
        return left
    }

    private mutating func countTerm() throws(DataverseError) {
        terms += 1
        if terms > Self.maxTerms { throw syntaxError("the filter joins more than \(Self.maxTerms) terms with and/or") }
    }

    private mutating func unary() throws(DataverseError) -> FilterExpression {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw syntaxError("the filter nests deeper than \(Self.maxDepth) levels of parentheses and not") }
        if keyword("not") { return .not(try unary()) }
        skipSpaces()
        if peek == "(" {
            index += 1
            let inner = try orExpression()
            skipSpaces()
            guard peek == ")" else { throw syntaxError("')' expected") }
            index += 1
            return inner
        }
        let start = index
        let name = identifier()
        guard !name.isEmpty else { throw syntaxError("a property name expected") }
        skipSpaces()
        if ["contains", "startswith", "endswith"].contains(name.lowercased()), peek == "(" {
            index += 1
            skipSpaces()
            let property = identifier()
            guard !property.isEmpty else { throw syntaxError("a property name expected in \(name)") }
            skipSpaces()
            guard peek == "," else { throw syntaxError("',' expected in \(name)") }
            index += 1
            skipSpaces()
            guard case .string(let value) = try literal() else { throw syntaxError("\(name) compares with a text literal in quotes") }
            skipSpaces()
            guard peek == ")" else { throw syntaxError("')' expected after \(name)") }
            index += 1
            return .function(name: name.lowercased(), property: property, text: value)
        }
        let opStart = index
        let opName = identifier().lowercased()
        guard let op = FilterExpression.ComparisonOperator(rawValue: opName) else {
            index = opName.isEmpty ? index : opStart
            throw syntaxError(
                "a comparison (eq, ne, gt, ge, lt, le) expected after '\(String(text[start..<opStart]).trimmingCharacters(in: .whitespaces))'")
        }
        skipSpaces()
        return .compare(property: name, op: op, literal: try literal())
    }

    private mutating func literal() throws(DataverseError) -> JSONValue {
        skipSpaces()
        guard let first = peek else { throw syntaxError("a value expected") }
        if first == "'" {
            index += 1
            var value = ""
            while index < text.count {
                if text[index] == "'" {
                    if index + 1 < text.count, text[index + 1] == "'" { value.append("'"); index += 2; continue }
                    index += 1
                    return .string(value)
                }
                value.append(text[index])
                index += 1
            }
            throw syntaxError("the text literal is not closed with a quote")
        }
        let start = index
        while index < text.count, !" )".contains(text[index]) { index += 1 }
        let word = String(text[start..<index])
        switch word {
        case "null": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            if let number = Int64(word) { return .int(number) }
            if let number = Double(word) { return .double(number) }
            if let id = RecordKey.normalizedGUID(word) { return .string(id) }
            if let date = ValueCoercion.parseDate(word) { return .string(ValueCoercion.formatDate(date)) }
            index = start
            throw syntaxError("'\(word)' is not a value (text goes in single quotes)")
        }
    }

    private mutating func keyword(_ word: String) -> Bool {
        skipSpaces()
        let save = index
        let name = identifier()
        if name.lowercased() == word, peek.map({ $0 == " " || $0 == "(" }) ?? false { return true }
        index = save
        return false
    }

    private mutating func identifier() -> String {
        let start = index
        while index < text.count, text[index].isLetter || text[index].isNumber || text[index] == "_" || text[index] == "/" { index += 1 }
        return String(text[start..<index])
    }

    private mutating func skipSpaces() {
        while index < text.count, text[index] == " " { index += 1 }
    }

    private var peek: Character? { index < text.count ? text[index] : nil }

    private func syntaxError(_ detail: String) -> DataverseError {
        DataverseError.badRequest("Syntax error at position \(index) in '\(String(text))': \(detail).")
    }
}
