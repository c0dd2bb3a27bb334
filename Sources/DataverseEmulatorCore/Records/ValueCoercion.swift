import Foundation
import SwitchboardValues

/// Checks an inbound value against its column and turns it into the stored form, with the error
/// Dataverse gives when it does not fit.
enum ValueCoercion {
    static func coerce(_ value: JSONValue, to column: Column, table: TableSchema) throws(DataverseError) -> JSONValue {
        if case .null = value { return .null }
        switch column.type {
        case .string(let maxLength), .memo(let maxLength):
            guard case .string(let text) = value else { throw typeMismatch(value, "Edm.String") }
            // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api (0x80044331)
            guard text.count <= maxLength else {
                throw DataverseError(
                    status: 400, code: "0x80044331",
                    message:
                        "The length of the '\(column.logicalName)' attribute of the '\(table.logicalName)' entity exceeded the maximum allowed length of '\(maxLength)'."
                )
            }
            return value
        case .integer:
            guard case .int(let number) = value, number >= Int64(Int32.min), number <= Int64(Int32.max) else {
                throw typeMismatch(value, "Edm.Int32")
            }
            return value
        case .decimal, .money:
            switch value {
            case .int(let number): return .double(Double(number))
            case .largeInteger(let digits): return .double(Double(digits) ?? 0)
            case .double: return value
            default: throw typeMismatch(value, "Edm.Decimal")
            }
        case .boolean:
            guard case .bool = value else { throw typeMismatch(value, "Edm.Boolean") }
            return value
        case .datetime:
            guard case .string(let text) = value, let date = parseDate(text) else { throw typeMismatch(value, "Edm.DateTimeOffset") }
            return .string(formatDate(date))
        case .choice(let options):
            guard case .int(let number) = value else { throw typeMismatch(value, "Edm.Int32") }
            guard options[Int(number)] != nil else {
                throw DataverseError(
                    status: 400, code: "0x8004431a",
                    message:
                        "\(column.logicalName) value \(number) is not a valid option for \(table.logicalName).\(column.logicalName); the valid options are \(options.keys.sorted().map(String.init).joined(separator: ", "))."
                )
            }
            return value
        case .lookup:
            throw DataverseError.badRequest(
                "The property '\(column.logicalName)' is a navigation property; set it with '\(column.logicalName)@odata.bind'.")
        case .uniqueIdentifier:
            guard case .string(let text) = value, let id = RecordKey.normalizedGUID(text) else { throw typeMismatch(value, "Edm.Guid") }
            return .string(id)
        }
    }

    /// The stored value a key literal stands for, so `accountnumber='A-1'` finds the record.
    static func keyValue(_ literal: KeyLiteral, column: Column) -> JSONValue {
        switch column.type {
        case .integer, .choice: return Int64(literal.text).map(JSONValue.int) ?? .string(literal.text)
        case .decimal, .money: return Double(literal.text).map(JSONValue.double) ?? .string(literal.text)
        case .boolean: return literal.text == "true" ? .bool(true) : literal.text == "false" ? .bool(false) : .string(literal.text)
        case .lookup, .uniqueIdentifier: return .string(RecordKey.normalizedGUID(literal.text) ?? literal.text)
        case .datetime: return .string(parseDate(literal.text).map(formatDate) ?? literal.text)
        case .string, .memo: return .string(literal.text)
        }
    }

    private static func typeMismatch(_ value: JSONValue, _ edmType: String) -> DataverseError {
        DataverseError.badRequest("Cannot convert the literal '\(value.text)' to the expected type '\(edmType)'.")
    }

    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        // A date without a time, as date-only columns are written.
        return try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day())
    }

    /// `2026-11-27T10:15:00Z`, as Dataverse returns date and time values (UTC, seconds).
    static func formatDate(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
