import ODataFilter
import SwitchboardValues

/// The query options of a read of an entity set, as the service documents them
/// (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/odata):
/// `$filter` (in the service's dialect: `FilterDialect.financeOperations`), `$select`, `$top`,
/// `$skip`, `$orderby`, `$count`, and `cross-company=true`; pages of at most
/// 10,000 records ("server driven paging with a maximum page size of 10,000") with an
/// `@odata.nextLink` to follow verbatim.
struct EntityQuery {
    var filter: FilterExpression?
    var select: [String]?
    var top: Int?
    var skip = 0
    var orderBy: [(field: String, descending: Bool)] = []
    var count = false
    var crossCompany = false

    /// The options this emulator knows; any other `$` option is refused.
    static let known: Set<String> = ["$select", "$top", "$skip", "$orderby", "$count", "$filter", "$expand", "$format", "cross-company"]

    static func parse(_ request: ServiceRequest, entity: EntityType) throws(ServiceError) -> EntityQuery {
        var query = EntityQuery()
        for (name, value) in request.query {
            switch name {
            case "$select":
                let fields = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                for field in fields where field != "*" && entity.field(field) == nil {
                    throw .badRequest("Could not find a property named '\(field)' on type '\(EntitySchema.namespace).\(entity.name)'.")
                }
                query.select = fields.contains("*") ? nil : fields
            case "$top":
                guard let top = Int(value), top >= 0 else { throw .badRequest("Invalid value '\(value)' for $top query option found. The $top query option requires a non-negative integer value.") }
                query.top = top
            case "$skip":
                guard let skip = Int(value), skip >= 0 else { throw .badRequest("Invalid value '\(value)' for $skip query option found. The $skip query option requires a non-negative integer value.") }
                query.skip = skip
            case "$orderby":
                for item in value.split(separator: ",") {
                    let words = item.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                    guard let field = words.first, words.count <= 2, words.count == 1 || ["asc", "desc"].contains(words[1].lowercased()) else {
                        throw .badRequest("The $orderby item '\(item)' is not a property name followed by asc or desc.")
                    }
                    guard entity.field(field) != nil else {
                        throw .badRequest("Could not find a property named '\(field)' on type '\(EntitySchema.namespace).\(entity.name)'.")
                    }
                    query.orderBy.append((field, words.count == 2 && words[1].lowercased() == "desc"))
                }
            case "$count":
                guard value == "true" || value == "false" else { throw .badRequest("'\(value)' is not a valid count option; use true or false.") }
                query.count = value == "true"
            case "cross-company":
                query.crossCompany = value.lowercased() == "true"
            case "$filter":
                query.filter = try filter(value, entity: entity)
            case "$expand":
                throw ServiceError(status: 501, message: "$expand is not emulated yet by this version of the Finance and Operations emulator.")
            case "$format":
                guard value.lowercased() == "json" else { throw .badRequest("The $format '\(value)' is not supported; the service answers JSON.") }
            default:
                if name.hasPrefix("$") {
                    throw .badRequest("The query parameter '\(name)' is not supported.")
                }
            }
        }
        return query
    }

    /// The records `$filter` keeps.
    func filtered(_ records: [StoredEntity]) -> [StoredEntity] {
        guard let filter else { return records }
        return records.filter { record in filter.matches({ record.values[$0] ?? .null }, dialect: .financeOperations) }
    }

    /// Orders records by `$orderby` (then by RecId, the order the service returns them in).
    func sorted(_ records: [StoredEntity]) -> [StoredEntity] {
        guard !orderBy.isEmpty else { return records }
        return records.sorted { left, right in
            for (field, descending) in orderBy {
                let order = Self.compare(left.values[field] ?? .null, right.values[field] ?? .null)
                if order != 0 { return descending ? order > 0 : order < 0 }
            }
            return left.recId < right.recId
        }
    }

    static func compare(_ left: JSONValue, _ right: JSONValue) -> Int {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            let (x, y) = (a.lowercased(), b.lowercased())
            return x == y ? 0 : x < y ? -1 : 1
        default:
            let a = Double(left.text) ?? 0, b = Double(right.text) ?? 0
            return a == b ? 0 : a < b ? -1 : 1
        }
    }
}
