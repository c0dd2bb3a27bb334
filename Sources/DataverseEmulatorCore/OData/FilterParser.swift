import Foundation
import ODataFilter
import SwitchboardValues

extension FilterDialect {
    /// Dataverse's `$filter`: `contains`, `startswith` and `endswith` as functions; GUIDs and
    /// dates and times bare.
    static let dataverse = FilterDialect(
        functions: true,
        unquoted: { word in
            if let id = RecordKey.normalizedGUID(word) { return .string(id) }
            if let date = ValueCoercion.parseDate(word) { return .string(ValueCoercion.formatDate(date)) }
            return nil
        },
        parseDate: { ValueCoercion.parseDate($0) })
}

/// Reads `$filter` in Dataverse's dialect, with Dataverse's kind of message on a syntax error.
package enum FilterParser {
    package static func parse(_ text: String) throws(DataverseError) -> FilterExpression {
        do throws(FilterSyntaxError) {
            return try ODataFilterParser.parse(text, dialect: .dataverse)
        } catch {
            throw .badRequest(error.message)
        }
    }
}

extension FilterExpression {
    /// Evaluates in Dataverse's dialect.
    package func matches(_ value: (String) -> JSONValue) -> Bool { matches(value, dialect: .dataverse) }

    /// Orders two values as Dataverse does: text that reads as dates by time.
    static func compare(_ left: JSONValue, _ right: JSONValue) -> ComparisonResult? {
        compare(left, right, parseDate: { ValueCoercion.parseDate($0) })
    }
}
