import Foundation
import SwitchboardModel

/// Builds a new document, field by field, from expressions over the incoming one.
/// A field whose expression has no value (a missing path with no default) is left out.
public struct MapStep: MessageStep {
    public let fields: [(field: String, value: MapExpression)]

    public func apply(to document: JSONValue) throws(StepError) -> StepOutcome {
        var output = JSONValue.object([:])
        for (field, expression) in fields {
            if let value = try expression.evaluate(in: document) {
                output.set(value, atDottedPath: field)
            }
        }
        return .next(output)
    }
}

extension MapExpression {
    /// The expression's value over `document`, or nil when a path it reads is missing.
    public func evaluate(in document: JSONValue) throws(StepError) -> JSONValue? {
        switch self {
        case .path(let path):
            return path.value(in: document)
        case .constant(let value):
            return value
        case .withDefault(let inner, let fallback):
            let value = try inner.evaluate(in: document)
            return value == nil || value == .null ? fallback : value
        case .concat(let parts):
            // A missing or null part leaves the whole value missing (the field is left out, or
            // takes its default), never a silently shorter text.
            var text = ""
            for part in parts {
                guard let value = try part.evaluate(in: document), value != .null else { return nil }
                text += value.text
            }
            return .string(text)
        case .lower(let inner):
            return try inner.evaluate(in: document).map { .string($0.text.lowercased()) }
        case .upper(let inner):
            return try inner.evaluate(in: document).map { .string($0.text.uppercased()) }
        case .date(let inner, let format):
            guard let value = try inner.evaluate(in: document), value != .null else { return nil }
            guard let millis = DateValue.epochMillis(value) else {
                throw StepError("date cannot read '\(value.text)'; expected ISO 8601 text or epoch milliseconds of a year from 1 to 9999")
            }
            return DateValue.format(millis, as: format)
        case .lookup(let inner, let table, let fallback):
            guard let value = try inner.evaluate(in: document) else { return fallback }
            if let hit = table[value.text] { return hit }
            if let fallback { return fallback }
            throw StepError("lookup has no entry for '\(value.text)' and no default")
        case .odataLiteral(let inner):
            guard let value = try inner.evaluate(in: document), value != .null else { return nil }
            do { return .string(try ODataLiteral.literal(value, as: nil)) } catch { throw StepError("odata_literal: \(error.reason)") }
        case .odataBind(let entitySet, let key):
            // As with concat, a missing or null part leaves the reference missing.
            var parts: [(column: String?, literal: String)] = []
            for part in key {
                guard let value = try part.value.evaluate(in: document), value != .null else { return nil }
                do {
                    parts.append((part.column, try ODataLiteral.literal(value, as: part.column == nil ? .guid : nil)))
                } catch {
                    throw StepError("odata_bind to \(entitySet) \(part.column.map { "key \($0)" } ?? "id"): \(error.reason)")
                }
            }
            return .string(ODataLiteral.reference(entitySet: entitySet, key: parts))
        }
    }
}

/// Date parsing and formatting for the `date` function, without `DateFormatter` (slow on Linux).
enum DateValue {
    /// Epoch milliseconds of years 1 to 9999, the range ISO 8601 text can carry.
    static let range: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// The time a value stands for, in epoch milliseconds; nil when it is none, or outside
    /// `range` (a number from a message is never converted unchecked: `1e19` must not trap).
    static func epochMillis(_ value: JSONValue) -> Int64? {
        let millis: Int64?
        switch value {
        case .int(let whole): millis = whole
        case .double(let number): millis = checked(number)
        case .string(let text):
            if let whole = Int64(text) {
                millis = whole
            } else if let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
                ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
                ?? (text.count == 10 ? try? Date(text + "T00:00:00Z", strategy: Date.ISO8601FormatStyle()) : nil)
            {
                millis = checked(date.timeIntervalSince1970 * 1000)
            } else {
                millis = nil
            }
        default: millis = nil
        }
        return millis.flatMap { range.contains($0) ? $0 : nil }
    }

    private static func checked(_ number: Double) -> Int64? {
        guard number.isFinite, number > Double(range.lowerBound), number < Double(range.upperBound) else { return nil }
        return Int64(number)
    }

    static func format(_ millis: Int64, as format: DateFormat) -> JSONValue {
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        switch format {
        case .iso8601: return .string(date.formatted(Date.ISO8601FormatStyle()))
        case .date: return .string(String(date.formatted(Date.ISO8601FormatStyle()).prefix(10)))
        case .epochSeconds: return .int(millis / 1000)
        case .epochMillis: return .int(millis)
        }
    }
}
