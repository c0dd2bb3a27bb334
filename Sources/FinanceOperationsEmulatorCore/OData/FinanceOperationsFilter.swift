import Foundation
import ODataFilter
import SwitchboardValues

extension FilterDialect {
    /// Finance & Operations' `$filter` (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/odata):
    /// contains "has been implemented as a wildcard character" (`Name eq '*retail*'`); the
    /// functions `contains()` and `startswith()` answer 400 (a Microsoft Q&A report); "the
    /// operators 'has' and 'in' are not supported"; enums are written
    /// `Microsoft.Dynamics.DataEntities.NoYes'Yes'` and take only eq and ne. A plain quoted member
    /// (`'Yes'`) is accepted as well (whether the service does is unconfirmed).
    static let financeOperations = FilterDialect(
        functions: false,
        refusedFunction: { "The query specified in the URI is not valid: the function '\($0)' is not supported; write contains as a wildcard, Field eq '*text*'." },
        refusedOperators: ["in": "The operators 'has' and 'in' are not supported.", "has": "The operators 'has' and 'in' are not supported."],
        enumNamespace: EntitySchema.namespace, wildcards: true,
        unquoted: { word in FinanceOperationsDates.parse(word) != nil ? .string(word) : nil },
        parseDate: { FinanceOperationsDates.parse($0) })
}

/// Dates and times as the service writes them: `2026-01-31T10:00:00Z` (with or without a
/// fraction of a second), and `2026-01-31` for a date.
enum FinanceOperationsDates {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day())
    }
}

extension EntityQuery {
    /// Reads `$filter` against the entity: every property it names must be a field.
    static func filter(_ text: String, entity: EntityType) throws(ServiceError) -> FilterExpression {
        let expression: FilterExpression
        do throws(FilterSyntaxError) {
            expression = try ODataFilterParser.parse(text, dialect: .financeOperations)
        } catch {
            throw .badRequest(error.message)
        }
        for property in expression.properties where entity.field(property) == nil {
            throw .badRequest("Could not find a property named '\(property)' on type '\(EntitySchema.namespace).\(entity.name)'.")
        }
        return expression
    }
}
