import Foundation
import SwitchboardValues

/// Checks a create's or an update's JSON body against the entity and turns it into stored values.
///
/// As the service does (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/odata,
/// the order of calls on create: initValue, SetValue for the fields in the request, validateWrite):
/// a create sets the fields given and gives every other field its default (empty text, zero, the
/// enum's first member, the null date 1900-01-01); an update changes only the fields given.
/// Refused, with nothing stored: a property the entity does not have, a value of the wrong type
/// or an unknown enum member (400, in the OData stack's words), text longer than its field, and
/// a mandatory field left empty (the infolog's "Field '…' must be filled in.").
enum EntityWrite {
    /// X++'s null date, which an empty date field reads as.
    static let nullDate = "1900-01-01"
    static let nullDateTime = "1900-01-01T00:00:00Z"

    static func parse(_ body: [UInt8], for entity: EntityType) throws(ServiceError) -> [String: JSONValue] {
        guard let value = try? JSONValue(json: body), case .object(let object) = value else {
            throw .badRequest("The request body is not a JSON object of \(entity.name).")
        }
        return object.filter { !$0.key.contains("@") }
    }

    /// The values of a new record: the body's, checked, and every other field's default;
    /// `dataAreaId` from the body or the caller's default company.
    static func create(_ body: [String: JSONValue], entity: EntityType, schema: EntitySchema, company: String) throws(ServiceError) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        // Key fields left out stay out: the number sequence or the next line number fills them.
        for field in entity.fields where !entity.key.contains(field.name) { values[field.name] = defaultValue(field, schema: schema) }
        for (name, value) in body where value != .null || !entity.key.contains(name) {
            values[name] = try checked(name, value, entity: entity, schema: schema)
        }
        if entity.perCompany {
            let given = values[EntitySchema.company]?.text ?? ""
            values[EntitySchema.company] = .string((given.isEmpty ? company : given).lowercased())
        }
        // A text key without a number sequence must be given.
        func required(_ field: EntityField) -> Bool {
            if field.mandatory { return true }
            guard entity.key.contains(field.name), field.numberSequence == nil, case .string = field.type else { return false }
            return true
        }
        let missing = entity.fields.filter { required($0) && EntityRecords.isEmpty(values[$0.name]) }
        guard missing.isEmpty else {
            throw .writeFailed(entity, missing.map { "Warning: Field '\($0.name)' must be filled in." })
        }
        return values
    }

    /// Applies an update's body to stored values. Key fields may be repeated but not changed.
    static func update(_ body: [String: JSONValue], into values: inout [String: JSONValue], entity: EntityType, schema: EntitySchema) throws(ServiceError) {
        var changed = values
        for (name, value) in body {
            let checked = try checked(name, value, entity: entity, schema: schema)
            if entity.key.contains(name) {
                guard EntityRecords.normalized(checked) == EntityRecords.normalized(values[name] ?? .null) else {
                    throw .badRequest("The key field '\(name)' of \(entity.setName) cannot be changed; delete the record and create it under the new key.")
                }
                continue
            }
            changed[name] = checked
        }
        let emptied = entity.fields.filter { $0.mandatory && EntityRecords.isEmpty(changed[$0.name]) }
        guard emptied.isEmpty else {
            throw .writeFailed(entity, emptied.map { "Warning: Field '\($0.name)' must be filled in." })
        }
        values = changed
    }

    static func defaultValue(_ field: EntityField, schema: EntitySchema) -> JSONValue {
        switch field.type {
        case .string: .string("")
        case .int, .int64: .int(0)
        case .real: .double(0)
        case .date: .string(nullDate)
        case .dateTime: .string(nullDateTime)
        case .enumeration(let name): .string(schema.enums[name]?.first ?? "")
        }
    }

    /// The value as the field stores it, or the refusal.
    static func checked(_ name: String, _ value: JSONValue, entity: EntityType, schema: EntitySchema) throws(ServiceError) -> JSONValue {
        guard let field = entity.field(name) else {
            throw .badRequest(
                "The property '\(name)' does not exist on type '\(EntitySchema.namespace).\(entity.name)'. Make sure to only use property names that are defined by the type."
            )
        }
        if value == .null { return defaultValue(field, schema: schema) }
        func refuse() -> ServiceError {
            let shown = value.text.count > 60 ? String(value.text.prefix(60)) + "…" : value.text
            return .badRequest("Cannot convert the literal '\(shown)' to the expected type '\(field.type.edmType)' of the property '\(name)'.")
        }
        switch field.type {
        case .string(let maxLength):
            guard case .string(let text) = value else { throw refuse() }
            guard text.count <= maxLength else {
                throw .writeFailed(entity, ["Warning: The value of field '\(name)' is \(text.count) characters long; the field holds \(maxLength)."])
            }
            return value
        case .int:
            guard case .int(let number) = value, Int32(exactly: number) != nil else { throw refuse() }
            return value
        case .int64:
            guard case .int = value else { throw refuse() }
            return value
        case .real:
            switch value {
            case .int(let number): return .double(Double(number))
            case .double: return value
            case .string(let text): if let number = Double(text) { return .double(number) }
            default: break
            }
            throw refuse()
        case .date:
            guard case .string(let text) = value, let date = text.wholeMatch(of: /([0-9]{4}-[0-9]{2}-[0-9]{2})(T.*)?/) else { throw refuse() }
            return .string(String(date.1))
        case .dateTime:
            guard case .string(let text) = value, let date = ISO8601DateFormatter().date(from: text) else { throw refuse() }
            return .string(ISO8601DateFormatter().string(from: date))
        case .enumeration(let enumName):
            guard case .string(let member) = value, schema.enums[enumName]?.contains(member) == true else { throw refuse() }
            return value
        }
    }
}
