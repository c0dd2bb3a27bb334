import Foundation
import SwitchboardValues

/// Reads a Finance & Operations emulator schema (YAML), reporting every problem as
/// `file:line:column: sentence`.
///
/// ```yaml
/// enums:
///   NoYes: [No, Yes]
/// entities:
///   - set: CustomersV3
///     type: CustomerV3
///     table: CustCustomerV3Entity
///     key: [CustomerAccount]          # dataAreaId goes first by itself when per_company
///     per_company: true               # the default
///     fields:
///       CustomerAccount: { type: string, max_length: 20, number_sequence: "C-" }
///       CustomerGroupId: { type: string, max_length: 10, mandatory: true }
///       CreditLimit: real
///       IsSalesTaxIncludedInPrice: { type: enum, enum: NoYes }
///     navigation:                     # what $expand follows, one level deep
///       Orders: { set: SalesOrderHeadersV2, on: { CustomerAccount: OrderingCustomerAccountNumber }, many: true }
///     modified_field: ModifiedDateTime  # a datetime field set on every create and update
///     business_events:                # raised after the write commits (create, update, delete)
///       CustomerCreatedBusinessEvent: { on: [create], fields: { CustomerAccount: CustomerAccount, LegalEntity: dataAreaId } }
/// ```
/// Field types: string (`max_length`, default 60), int, int64, real, date, datetime, enum.
/// `deletable: false` makes the entity refuse deletes.
public enum EntitySchemaReader {
    static let defaultStringLength = 60

    public static func read(contentsOf url: URL) throws -> EntitySchema {
        try read(try SchemaFile.text(at: url), file: url.lastPathComponent)
    }

    public static func read(_ text: String, file: String) throws -> EntitySchema {
        let sink = DiagnosticSink()
        var entities: [EntityType] = []
        var enums: [String: [String]] = [:]
        if let root = YAMLValue.document(text, file: file, sink: sink)?.mapping() {
            root.rejectUnknownKeys(["enums", "entities"])
            for entry in root["enums"]?.mapping()?.entries ?? [] {
                guard let members = entry.value.stringList() else { continue }
                if members.isEmpty { entry.value.report("\(entry.value.path): the enum \(entry.key) has no members") }
                enums[entry.key] = members
            }
            for item in root.required("entities")?.sequence() ?? [] {
                if let entity = readEntity(item, enums: enums) { entities.append(entity) }
            }
            let names = Set(entities.map(\.setName))
            for (entity, item) in zip(entities, root["entities"]?.sequence() ?? []) {
                for navigation in entity.navigations {
                    if !names.contains(navigation.set) { item.report("\(item.path).navigation.\(navigation.name) names the entity set \(navigation.set), which is not declared") }
                    let target = entities.first { $0.setName == navigation.set }
                    for remote in navigation.join.values where target != nil && target?.field(remote) == nil {
                        item.report("\(item.path).navigation.\(navigation.name) joins on \(remote), which is not a field of \(navigation.set)")
                    }
                }
            }
            var sets: Set<String> = []
            for (entity, item) in zip(entities, root["entities"]?.sequence() ?? []) where !sets.insert(entity.setName).inserted {
                item.report("\(item.path): the entity set \(entity.setName) is declared twice")
            }
        }
        if !sink.diagnostics.isEmpty { throw WorkspaceError(diagnostics: sink.diagnostics) }
        return EntitySchema(entities: entities, enums: enums)
    }

    private static func readEntity(_ item: YAMLValue, enums: [String: [String]]) -> EntityType? {
        guard let fields = item.mapping() else { return nil }
        fields.rejectUnknownKeys(["set", "type", "table", "key", "per_company", "deletable", "fields", "navigation", "business_events", "modified_field"])
        let setName = fields.requiredString("set")
        let typeName = fields.requiredString("type")
        let key = fields.required("key")?.stringList()
        var entityFields: [EntityField] = []
        for entry in fields.required("fields")?.mapping()?.entries ?? [] {
            if let field = readField(entry.key, entry.value, enums: enums) { entityFields.append(field) }
        }
        var navigations: [EntityNavigation] = []
        for entry in fields["navigation"]?.mapping()?.entries ?? [] {
            guard let navigation = entry.value.mapping() else { continue }
            navigation.rejectUnknownKeys(["set", "on", "many"])
            guard let set = navigation.requiredString("set"), let on = navigation.required("on")?.mapping() else { continue }
            var join: [String: String] = [:]
            for pair in on.entries {
                if !entityFields.contains(where: { $0.name == pair.key }) {
                    pair.value.report("\(pair.value.path): \(pair.key) is not a field of this entity")
                }
                join[pair.key] = pair.value.string()
            }
            navigations.append(EntityNavigation(name: entry.key, set: set, join: join, many: navigation["many"]?.bool() ?? true))
        }
        let perCompany = fields["per_company"]?.bool() ?? true
        var events: [EntityBusinessEvent] = []
        for entry in fields["business_events"]?.mapping()?.entries ?? [] {
            guard let event = entry.value.mapping() else { continue }
            event.rejectUnknownKeys(["on", "fields"])
            var triggers: Set<EntityBusinessEvent.Trigger> = []
            for word in event.required("on")?.stringList() ?? [] {
                guard let trigger = EntityBusinessEvent.Trigger(rawValue: word) else {
                    event["on"]?.report("\(entry.value.path).on has '\(word)'; a business event is raised on create, update or delete")
                    continue
                }
                triggers.insert(trigger)
            }
            var payload: [(payload: String, field: String)] = []
            for pair in event.required("fields")?.mapping()?.entries ?? [] {
                guard let field = pair.value.string() else { continue }
                if field != EntitySchema.company || !perCompany, !entityFields.contains(where: { $0.name == field }) {
                    pair.value.report("\(pair.value.path): \(field) is not a field of this entity")
                }
                payload.append((pair.key, field))
            }
            events.append(EntityBusinessEvent(id: entry.key, on: triggers, fields: payload))
        }
        let modified = fields.string("modified_field")
        if let modified, let field = entityFields.first(where: { $0.name == modified }), field.type != .dateTime {
            fields["modified_field"]?.report("\(item.path).modified_field names \(modified), which is not a datetime field")
        } else if let modified, !entityFields.contains(where: { $0.name == modified }) {
            fields["modified_field"]?.report("\(item.path).modified_field names \(modified), which is not a field of this entity")
        }
        guard let setName, let typeName, let key else { return nil }
        if key.isEmpty { item.report("\(item.path).key names no field") }
        for name in key where name != EntitySchema.company && !entityFields.contains(where: { $0.name == name }) {
            item.report("\(item.path).key names \(name), which is not a field of \(setName)")
        }
        return EntityType(
            name: typeName, setName: setName, tableName: fields.string("table") ?? "\(typeName)Entity",
            perCompany: perCompany, fields: entityFields, key: key, deletable: fields["deletable"]?.bool() ?? true,
            navigations: navigations, businessEvents: events, modifiedField: modified)
    }

    private static func readField(_ name: String, _ value: YAMLValue, enums: [String: [String]]) -> EntityField? {
        if case .scalar = value.node {
            guard let type = value.string() else { return nil }
            return makeField(name, type: type, fields: nil, at: value, enums: enums)
        }
        guard let fields = value.mapping() else { return nil }
        fields.rejectUnknownKeys(["type", "max_length", "mandatory", "enum", "number_sequence"])
        guard let type = fields.requiredString("type") else { return nil }
        return makeField(name, type: type, fields: fields, at: value, enums: enums)
    }

    private static func makeField(_ name: String, type: String, fields: YAMLMapping?, at value: YAMLValue, enums: [String: [String]]) -> EntityField? {
        let fieldType: FieldType
        switch type {
        case "string": fieldType = .string(maxLength: fields?["max_length"]?.int(min: 1) ?? defaultStringLength)
        case "int": fieldType = .int
        case "int64": fieldType = .int64
        case "real": fieldType = .real
        case "date": fieldType = .date
        case "datetime": fieldType = .dateTime
        case "enum":
            guard let name = fields?.requiredString("enum") else {
                if fields == nil { value.report("\(value.path) is an enum and needs its name: { type: enum, enum: NoYes }") }
                return nil
            }
            if enums[name] == nil { value.report("\(value.path) names the enum \(name), which enums: does not declare") }
            fieldType = .enumeration(name)
        default:
            value.report("\(value.path) has the unknown type '\(type)' (known: string, int, int64, real, date, datetime, enum)")
            return nil
        }
        return EntityField(name, fieldType, mandatory: fields?["mandatory"]?.bool() ?? false, numberSequence: fields?.string("number_sequence"))
    }
}
