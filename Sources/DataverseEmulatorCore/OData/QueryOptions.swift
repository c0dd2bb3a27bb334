import Foundation
import ODataFilter
import SwitchboardValues

/// `$select`, `$filter`, `$orderby`, `$top`, `$count` and paging of a collection request, checked
/// against the table.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview
struct QueryOptions: Sendable {
    var select: [Column]?
    var filter: FilterExpression?
    var orderBy: [(column: Column, descending: Bool)] = []
    var top: Int?
    var count = false
    /// The page a `$skiptoken` asks for, from 1.
    var page = 1
    var deltaToken: String?
    /// The `$skiptoken` is a page of a change-tracking read (`istracking="True"`).
    var continuesTracking = false
    /// Single-valued navigation properties to expand: a lookup column (asked for by its name, or
    /// as `column_target`), the table it refers to and the columns to select there.
    var expand: [(name: String, column: Column, target: TableSchema, select: [Column]?)] = []
    /// Resolves a lookup to the table it refers to; nil: no navigation (no schema given).
    private var schema: EmulatorSchema?
    /// The table queried.
    private var table: TableSchema

    /// Default and maximum page size: 5,000 records.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results
    static let maxPageSize = 5_000

    /// - Parameter schema: The tables a lookup may refer to, for `$expand` and navigation paths
    ///   in `$filter` (`parentcustomerid/name eq 'Contoso'`); nil refuses both.
    init(_ parameters: [(String, String)], table: TableSchema, schema: EmulatorSchema? = nil) throws(DataverseError) {
        self.schema = schema
        self.table = table
        for (name, value) in parameters {
            switch name {
            case "$select":
                select = try value.split(separator: ",").map { property throws(DataverseError) in
                    let name = property.trimmingCharacters(in: .whitespaces)
                    guard let column = table.column(property: name) else { throw DataverseError.unknownProperty(name, table: table) }
                    return column
                }
            case "$filter":
                let expression = try FilterParser.parse(value)
                for property in expression.properties {
                    if let slash = property.firstIndex(of: "/") {
                        // A navigation path: a lookup, then a column of the table it refers to.
                        let navigation = try Self.navigation(String(property[..<slash]), of: table, schema: schema)
                        let rest = String(property[property.index(after: slash)...])
                        guard navigation.target.column(property: rest) != nil else {
                            throw DataverseError.unknownProperty(rest, table: navigation.target)
                        }
                    } else if table.column(property: property) == nil {
                        throw DataverseError.unknownProperty(property, table: table)
                    }
                }
                filter = expression
            case "$expand":
                for item in try ExpandItem.parse(value) {
                    let navigation = try Self.navigation(item.name, of: table, schema: schema)
                    let select = try item.select.map { names throws(DataverseError) in
                        try names.map { name throws(DataverseError) in
                            guard let column = navigation.target.column(property: name) else {
                                throw DataverseError.unknownProperty(name, table: navigation.target)
                            }
                            return column
                        }
                    }
                    expand.append((item.name, navigation.column, navigation.target, select))
                }
            case "$orderby":
                for item in value.split(separator: ",") {
                    let words = item.split(separator: " ").map(String.init)
                    guard let name = words.first, let column = table.column(property: name) else {
                        throw DataverseError.unknownProperty(words.first ?? "", table: table)
                    }
                    let direction = words.count > 1 ? words[1].lowercased() : "asc"
                    guard words.count <= 2, direction == "asc" || direction == "desc" else {
                        throw DataverseError.badRequest("The $orderby item '\(item)' must be a property followed by asc or desc.")
                    }
                    orderBy.append((column, direction == "desc"))
                }
            case "$top":
                guard let number = Int(value), number >= 0 else {
                    throw DataverseError.badRequest("The value of $top must be a whole number that is not negative, not '\(value)'.")
                }
                top = number
            case "$count":
                guard value == "true" || value == "false" else {
                    throw DataverseError.badRequest("The value of $count must be true or false, not '\(value)'.")
                }
                count = value == "true"
            case "$skiptoken":
                guard let page = Self.page(fromSkipToken: value) else {
                    throw DataverseError.badRequest("The $skiptoken is not one this service issued; use @odata.nextLink as it is.")
                }
                self.page = page
                continuesTracking = value.contains(#"istracking="True""#)
            case "$deltatoken":
                deltaToken = value
            case "$skip":
                // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/page-results ($skip is not supported)
                throw DataverseError.badRequest("The query parameter $skip is not supported.")
            default:
                if name.hasPrefix("$") { throw DataverseError.badRequest("The query parameter \(name) is not supported by this service.") }
            }
        }
    }

    /// Dataverse's skip token is a paging cookie; this one carries the page number the same way.
    static func skipToken(page: Int) -> String {
        #"<cookie pagenumber="\#(page)" istracking="False" />"#
    }

    static func page(fromSkipToken token: String) -> Int? {
        guard let range = token.range(of: #"pagenumber=""#) else { return nil }
        let digits = token[range.upperBound...].prefix { $0.isNumber }
        return Int(digits).flatMap { $0 >= 1 ? $0 : nil }
    }

    /// The lookup a single-valued navigation property names (`parentcustomerid`, or
    /// `parentcustomerid_account` as the service names a lookup's navigation property), and the
    /// table it refers to.
    static func navigation(
        _ name: String, of table: TableSchema, schema: EmulatorSchema?
    ) throws(DataverseError) -> (column: Column, target: TableSchema) {
        for column in table.columns {
            guard case .lookup(let target) = column.type, name == column.logicalName || name == "\(column.logicalName)_\(target)",
                let referenced = schema?.table(logicalName: target)
            else { continue }
            return (column, referenced)
        }
        throw DataverseError.badRequest("Could not find a property named '\(name)' on type '\(table.qualifiedName)'.")
    }

    /// Applies filter and order to the table's records; `resolve` finds the record a lookup
    /// refers to (table logical name, id), for navigation paths in the filter.
    func run(_ records: [StoredRecord], resolve: (String, String) -> StoredRecord? = { _, _ in nil }) -> [StoredRecord] {
        var result = records
        if let filter {
            result = result.filter { record in
                filter.matches { property in
                    guard let slash = property.firstIndex(of: "/") else { return self.column(property, in: record) }
                    guard let navigation = try? Self.navigation(String(property[..<slash]), of: table, schema: schema),
                        case .string(let id)? = record.values[navigation.column.logicalName],
                        let referenced = resolve(navigation.target.logicalName, id)
                    else { return .null }
                    return self.column(String(property[property.index(after: slash)...]), in: referenced)
                }
            }
        }
        if !orderBy.isEmpty {
            result.sort { a, b in
                for (column, descending) in orderBy {
                    let left = a.values[column.logicalName] ?? .null, right = b.values[column.logicalName] ?? .null
                    // Nulls sort first ascending, as SQL Server sorts them.
                    let order: ComparisonResult =
                        switch (left, right) {
                        case (.null, .null): .orderedSame
                        case (.null, _): .orderedAscending
                        case (_, .null): .orderedDescending
                        default: FilterExpression.compare(left, right) ?? .orderedSame
                        }
                    if order == .orderedSame { continue }
                    return descending ? order == .orderedDescending : order == .orderedAscending
                }
                return false
            }
        }
        return result
    }

    private func column(_ property: String, in record: StoredRecord) -> JSONValue {
        if property.hasPrefix("_"), property.hasSuffix("_value") {
            return record.values[String(property.dropFirst().dropLast(6))] ?? .null
        }
        return record.values[property] ?? .null
    }
}
