import SwitchboardValues

/// The columns a create, update or upsert body sets, checked against the table.
///
/// Plain properties are coerced to their column's type; `x@odata.bind` sets lookup `x` to the
/// referenced record (`/contacts(<id>)`, `contacts(<id>)`, a full URL, or an alternate key);
/// annotations (`@odata.type`, `@odata.etag`, ...) and the system columns are ignored, as
/// Dataverse ignores them on write.
public struct RecordPayload: Sendable {
    /// Coerced values by logical name.
    var values: [String: JSONValue] = [:]
    /// Lookup column to the reference it binds (nil clears the lookup).
    var binds: [String: BindTarget?] = [:]

    struct BindTarget: Sendable, Hashable {
        var entitySet: String
        var key: RecordKey
    }

    init(values: [String: JSONValue] = [:], binds: [String: BindTarget?] = [:]) {
        self.values = values
        self.binds = binds
    }

    package static func parse(_ body: JSONValue, table: TableSchema) throws(DataverseError) -> RecordPayload {
        guard case .object(let object) = body else {
            throw DataverseError.badRequest("The request body must be a JSON object describing a \(table.logicalName) record.")
        }
        var payload = RecordPayload()
        for (property, value) in object {
            if property.hasSuffix("@odata.bind") {
                let name = String(property.dropLast("@odata.bind".count))
                guard let column = table.column(name), case .lookup = column.type else { throw DataverseError.unknownProperty(name, table: table) }
                if case .null = value {
                    payload.binds[name] = .some(nil)
                    continue
                }
                guard case .string(let reference) = value, let target = bindTarget(reference) else {
                    throw DataverseError.badRequest(
                        "The value of '\(property)' must be a record reference such as '/\(table.entitySetName)(00000000-0000-0000-0000-000000000000)'."
                    )
                }
                payload.binds[name] = target
                continue
            }
            if property.hasPrefix("@") || property.contains("@") || SystemColumns.names.contains(property) { continue }
            guard let column = table.column(property) else { throw DataverseError.unknownProperty(property, table: table) }
            payload.values[column.logicalName] = try ValueCoercion.coerce(value, to: column, table: table)
        }
        return payload
    }

    /// `/contacts(id)`, `contacts(id)`, `https://host/api/data/v9.2/contacts(id)`, or with an
    /// alternate key; percent-encoded characters are decoded, as in any URI.
    static func bindTarget(_ reference: String) -> BindTarget? {
        var text = Substring(reference.removingPercentEncoding ?? reference)
        if let range = text.range(of: "/api/data/") {
            text = text[range.upperBound...]
            // Skip the version segment (v9.2).
            guard let slash = text.firstIndex(of: "/") else { return nil }
            text = text[text.index(after: slash)...]
        }
        text = text.drop { $0 == "/" }
        guard let open = text.firstIndex(of: "("), text.last == ")" else { return nil }
        let set = String(text[..<open])
        guard let key = RecordKey.parse(String(text[text.index(after: open)..<text.index(before: text.endIndex)])) else { return nil }
        return BindTarget(entitySet: set, key: key)
    }
}
