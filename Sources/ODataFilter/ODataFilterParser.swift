import Foundation
import SwitchboardValues

/// Reads `$filter` text into a `FilterExpression` in a service's dialect (`FilterDialect`).
///
/// Guarantee: no input can exhaust the stack. Nesting (parentheses and `not`) deeper than
/// `maxDepth`, or more than `maxTerms` terms joined by `and`/`or`, is refused as a bad request
/// before the tree grows, since parsing, evaluating and freeing the tree all recurse.
package struct ODataFilterParser {
    private let text: [Character]
    private var index = 0
    private var depth = 0
    private var terms = 0
    /// Deepest nesting of parentheses and `not` accepted. 100.
    static let maxDepth = 100
    /// Most terms joined by `and` and `or` accepted. 500.
    static let maxTerms = 500

    private let dialect: FilterDialect

    private init(_ text: String, dialect: FilterDialect) {
        self.text = Array(text)
        self.dialect = dialect
    }

    /// Throws a sentence naming the position and what was expected there.
    package static func parse(_ text: String, dialect: FilterDialect) throws(FilterSyntaxError) -> FilterExpression {
        var parser = ODataFilterParser(text, dialect: dialect)
        let expression = try parser.orExpression()
        parser.skipSpaces()
        guard parser.index == parser.text.count else { throw parser.syntaxError("unexpected '\(String(parser.text[parser.index...]))'") }
        return expression
    }

    private mutating func orExpression() throws(FilterSyntaxError) -> FilterExpression {
        var left = try andExpression()
        while keyword("or") {
            try countTerm()
            left = .or(left, try andExpression())
        }
        return left
    }

    private mutating func andExpression() throws(FilterSyntaxError) -> FilterExpression {
        var left = try unary()
        while keyword("and") {
            try countTerm()
            left = .and(left, try unary())
        }
        return left
    }

    private mutating func countTerm() throws(FilterSyntaxError) {
        terms += 1
        if terms > Self.maxTerms { throw syntaxError("the filter joins more than \(Self.maxTerms) terms with and/or") }
    }

    private mutating func unary() throws(FilterSyntaxError) -> FilterExpression {
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
        if peek == "(" {
            guard dialect.functions, ["contains", "startswith", "endswith"].contains(name.lowercased()) else {
                throw FilterSyntaxError(message: dialect.refusedFunction(name))
            }
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
        if let refusal = dialect.refusedOperators[opName] { throw FilterSyntaxError(message: refusal) }
        guard let op = FilterExpression.ComparisonOperator(rawValue: opName) else {
            index = opName.isEmpty ? index : opStart
            throw syntaxError(
                "a comparison (eq, ne, gt, ge, lt, le) expected after '\(String(text[start..<opStart]).trimmingCharacters(in: .whitespaces))'")
        }
        skipSpaces()
        if let namespace = dialect.enumNamespace, let member = try enumLiteral(namespace) {
            guard op == .eq || op == .ne else { throw syntaxError("the operations supported for enums are eq and ne") }
            return .compare(property: name, op: op, literal: .string(member))
        }
        return .compare(property: name, op: op, literal: try literal())
    }

    /// `Microsoft.Dynamics.DataEntities.NoYes'Yes'`: the member's name; nil when the literal is
    /// not written in the namespace.
    private mutating func enumLiteral(_ namespace: String) throws(FilterSyntaxError) -> String? {
        let prefix = Array(namespace + ".")
        guard text.count - index > prefix.count, Array(text[index..<index + prefix.count]) == prefix else { return nil }
        index += prefix.count
        guard !identifier().isEmpty, peek == "'" else { throw syntaxError("an enum value is written \(namespace).Type'Member'") }
        guard case .string(let member) = try literal() else { throw syntaxError("an enum member is quoted") }
        return member
    }

    private mutating func literal() throws(FilterSyntaxError) -> JSONValue {
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
            if let value = dialect.unquoted(word) { return value }
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

    private func syntaxError(_ detail: String) -> FilterSyntaxError {
        FilterSyntaxError(message: "Syntax error at position \(index) in '\(String(text))': \(detail).")
    }
}
