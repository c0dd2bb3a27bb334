import Foundation
import SwitchboardValues

/// Writes records the way the Web API returns them: the selected properties, `_x_value` for
/// lookups, `@odata.etag`, and formatted values and lookup annotations when asked for.
struct RecordSerializer {
    let tables: RecordTables
    let table: TableSchema
    let preferences: Preferences

    static let formattedValue = "OData.Community.Display.V1.FormattedValue"
    static let lookupLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname"
    static let associatedNavigationProperty = "Microsoft.Dynamics.CRM.associatednavigationproperty"

    /// `select`: property names (logical names or `_x_value`); nil selects every column.
    func object(_ record: StoredRecord, select: [Column]?) -> [String: JSONValue] {
        var object: [String: JSONValue] = ["@odata.etag": .string(record.etag)]
        let columns = select ?? table.columns
        for column in columns {
            let value = record.values[column.logicalName] ?? .null
            let property = column.propertyName
            object[property] = value
            guard value != .null else { continue }
            if case .lookup(let target) = column.type {
                if preferences.wants(Self.lookupLogicalName) { object["\(property)@\(Self.lookupLogicalName)"] = .string(target) }
                if preferences.wants(Self.associatedNavigationProperty) {
                    object["\(property)@\(Self.associatedNavigationProperty)"] = .string(column.logicalName)
                }
            }
            if preferences.wants(Self.formattedValue), let formatted = format(value, column) {
                object["\(property)@\(Self.formattedValue)"] = .string(formatted)
            }
        }
        // The primary id is always returned, selected or not.
        object[table.primaryIDAttribute] = .string(record.id)
        return object
    }

    /// The text a form would show, as `FormattedValue` carries it (en-US formats).
    func format(_ value: JSONValue, _ column: Column) -> String? {
        switch column.type {
        case .money:
            guard let number = Self.number(value) else { return nil }
            return number.formatted(.currency(code: "USD").locale(Locale(identifier: "en_US")))
        case .decimal:
            guard let number = Self.number(value) else { return nil }
            return number.formatted(.number.precision(.fractionLength(2)).locale(Locale(identifier: "en_US")))
        case .integer:
            guard let number = Self.number(value) else { return nil }
            return Int(number).formatted(.number.locale(Locale(identifier: "en_US")))
        case .boolean:
            guard case .bool(let flag) = value else { return nil }
            return flag ? "Yes" : "No"
        case .choice(let options):
            guard case .int(let number) = value else { return nil }
            return options[Int(number)]
        case .datetime:
            guard case .string(let text) = value, let date = ValueCoercion.parseDate(text) else { return nil }
            var format = Date.FormatStyle(date: .numeric, time: .shortened).locale(Locale(identifier: "en_US"))
            format.timeZone = TimeZone(identifier: "UTC")!
            return date.formatted(format)
        case .lookup(let target):
            guard case .string(let id) = value, let targetTable = tables.schema.table(logicalName: target),
                let referenced = tables.record(table: target, id: id)
            else { return nil }
            return referenced.values[targetTable.primaryNameAttribute]?.text
        case .string, .memo, .uniqueIdentifier:
            return nil
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
}
