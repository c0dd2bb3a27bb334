import Foundation
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
    /// `$expand`: each navigation property and the fields selected of its records (nil: all).
    var expand: [(navigation: EntityNavigation, select: [String]?)] = []
    var top: Int?
    var skip = 0
    var orderBy: [(field: String, descending: Bool)] = []
    var count = false
    var crossCompany = false

    /// The options this emulator knows; any other `$` option is refused.
    static let known: Set<String> = ["$select", "$top", "$skip", "$orderby", "$count", "$filter", "$expand", "$format", "cross-company"]

    static func parse(_ request: ServiceRequest, entity: EntityType, schema: EntitySchema) throws(ServiceError) -> EntityQuery {
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
                query.expand = try expansions(value, entity: entity, schema: schema)
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

    /// `$expand=SalesOrderLines($select=ItemNumber,LineAmount),Other`: navigation properties of
    /// the entity, one level deep ("only first-level expansion is supported"), each with an
    /// optional `$select`.
    static func expansions(_ text: String, entity: EntityType, schema: EntitySchema) throws(ServiceError) -> [(navigation: EntityNavigation, select: [String]?)] {
        var items: [String] = []
        var depth = 0
        var current = ""
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                items.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        items.append(current)
        guard depth == 0 else { throw .badRequest("The $expand '\(text)' has unbalanced parentheses.") }
        var expansions: [(navigation: EntityNavigation, select: [String]?)] = []
        for item in items.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let name = String(item.prefix { $0 != "(" })
            guard let navigation = entity.navigation(name) else {
                throw .badRequest("Could not find a property named '\(name)' on type '\(EntitySchema.namespace).\(entity.name)'.")
            }
            guard let target = schema.entity(set: navigation.set) else { throw .badRequest("The navigation \(name) leads to no entity set.") }
            var select: [String]?
            if item.count > name.count {
                let options = item.dropFirst(name.count + 1).dropLast()
                for option in options.split(separator: ";") {
                    let pair = option.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                    guard pair.count == 2, pair[0] == "$select" else {
                        if option.contains("$expand") {
                            throw .badRequest("The $expand '\(item)' nests another expansion; only first-level expansion is supported.")
                        }
                        throw .badRequest("The $expand '\(item)' takes $select only.")
                    }
                    let fields = pair[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    for field in fields where target.field(field) == nil {
                        throw .badRequest("Could not find a property named '\(field)' on type '\(EntitySchema.namespace).\(target.name)'.")
                    }
                    select = fields
                }
            }
            expansions.append((navigation, select))
        }
        return expansions
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
