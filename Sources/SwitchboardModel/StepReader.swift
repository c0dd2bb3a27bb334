/// Reads `steps:` entries: `map` and `filter`.
package enum StepReader {
    package static func readPath(_ value: YAMLValue) -> JSONPath? {
        guard let text = value.string() else { return nil }
        guard let path = JSONPath(text) else {
            value.report("\(value.path) must be a path such as $.order.id, not '\(text)'")
            return nil
        }
        return path
    }

    package static func readStep(_ value: YAMLValue) -> StepDefinition? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["map", "filter"])
        if map.entries.count != 1 {
            value.report("\(value.path) must name exactly one step: map or filter")
            return nil
        }
        if let fields = map["map"]?.mapping() {
            return .map(fields.entries.compactMap { entry in readExpression(entry.value).map { (entry.key, $0) } })
        }
        if let condition = map["filter"] {
            return readCondition(condition).map(StepDefinition.filter)
        }
        return nil
    }

    static func readExpression(_ value: YAMLValue) -> MapExpression? {
        switch value.shape {
        case .scalar(let text, let inline):
            if inline, text.hasPrefix("$") {
                return readPath(value).map(MapExpression.path)
            }
            return .constant(value.json())
        case .sequence:
            value.report("\(value.path) must be a path, a constant or a function such as { concat: [...] }")
            return nil
        case .mapping:
            guard let map = value.mapping() else { return nil }
            let functions = ["copy", "const", "concat", "lower", "upper", "date", "lookup", "odata_literal", "odata_bind"]
            let named = map.entries.filter { functions.contains($0.key) }
            guard named.count == 1, let function = named.first else {
                value.report("\(value.path) must name one function: \(functions.joined(separator: ", "))")
                return nil
            }
            switch function.key {
            case "copy":
                map.rejectUnknownKeys(["copy", "default"])
                guard let inner = readExpression(function.value) else { return nil }
                if let fallback = map["default"] { return .withDefault(inner, fallback.json()) }
                return inner
            case "const":
                map.rejectUnknownKeys(["const"])
                return .constant(function.value.json())
            case "concat":
                map.rejectUnknownKeys(["concat"])
                guard let parts = function.value.sequence() else { return nil }
                let expressions = parts.compactMap(readExpression)
                return expressions.count == parts.count ? .concat(expressions) : nil
            case "lower", "upper":
                map.rejectUnknownKeys([function.key])
                guard let inner = readExpression(function.value) else { return nil }
                return function.key == "lower" ? .lower(inner) : .upper(inner)
            case "date":
                map.rejectUnknownKeys(["date", "format"])
                guard let inner = readExpression(function.value) else { return nil }
                let format = map["format"]?.choice(DateFormat.self) ?? .iso8601
                return .date(inner, format: format)
            case "odata_literal":
                map.rejectUnknownKeys(["odata_literal"])
                return readExpression(function.value).map(MapExpression.odataLiteral)
            case "odata_bind":
                return readBind(map, entitySet: function.value)
            default:
                map.rejectUnknownKeys(["lookup", "table", "default"])
                guard let inner = readExpression(function.value), let table = map.required("table")?.mapping() else { return nil }
                var entries: [String: JSONValue] = [:]
                for entry in table.entries { entries[entry.key] = entry.value.json() }
                return .lookup(inner, table: entries, fallback: map["default"]?.json())
            }
        }
    }

    /// `{ odata_bind: accounts, key: { accountnumber: $.customer } }` or `{ odata_bind: accounts, id: $.account_id }`.
    static func readBind(_ map: YAMLMapping, entitySet: YAMLValue) -> MapExpression? {
        map.rejectUnknownKeys(["odata_bind", "key", "id"])
        guard let set = entitySet.string() else { return nil }
        if set.isEmpty || set.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
            entitySet.report("\(entitySet.path) must be an entity set name such as accounts")
            return nil
        }
        switch (map["key"], map["id"]) {
        case (let key?, nil):
            guard let entries = key.mapping()?.entries, !entries.isEmpty else {
                key.report("\(key.path) must name at least one key column and where its value is")
                return nil
            }
            let parts = entries.compactMap { entry in readExpression(entry.value).map { ODataKeyPart(column: entry.key, value: $0) } }
            return parts.count == entries.count ? .odataBind(entitySet: set, key: parts) : nil
        case (nil, let id?):
            return readExpression(id).map { .odataBind(entitySet: set, key: [ODataKeyPart(column: nil, value: $0)]) }
        default:
            entitySet.report(
                "\(entitySet.path) needs either key (an alternate key's columns) or id (the primary id), not \(map["key"] == nil ? "neither" : "both")"
            )
            return nil
        }
    }

    static func readCondition(_ value: YAMLValue) -> Condition? {
        guard let map = value.mapping() else { return nil }
        if let all = map["all"] {
            map.rejectUnknownKeys(["all"])
            return all.sequence().map { .all($0.compactMap(readCondition)) }
        }
        if let any = map["any"] {
            map.rejectUnknownKeys(["any"])
            return any.sequence().map { .any($0.compactMap(readCondition)) }
        }
        if let inner = map["not"] {
            map.rejectUnknownKeys(["not"])
            return readCondition(inner).map(Condition.not)
        }
        let comparisons = ["equals", "not_equals", "in", "exists", "greater_than", "less_than"]
        map.rejectUnknownKeys(Set(["path"] + comparisons))
        guard let path = map.required("path").flatMap(readPath) else { return nil }
        let named = map.entries.filter { comparisons.contains($0.key) }
        guard named.count == 1, let comparison = named.first else {
            value.report("\(value.path) must have a path and one of \(comparisons.joined(separator: ", "))")
            return nil
        }
        switch comparison.key {
        case "equals": return .compare(path, .equals(comparison.value.json()))
        case "not_equals": return .compare(path, .notEquals(comparison.value.json()))
        case "in": return comparison.value.sequence().map { .compare(path, .oneOf($0.map { $0.json() })) }
        case "exists": return comparison.value.bool().map { .compare(path, .exists($0)) }
        case "greater_than": return comparison.value.double().map { .compare(path, .greaterThan($0)) }
        default: return comparison.value.double().map { .compare(path, .lessThan($0)) }
        }
    }
}
