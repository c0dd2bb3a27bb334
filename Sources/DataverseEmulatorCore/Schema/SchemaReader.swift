import Foundation
import SwitchboardValues

/// Reads an emulator schema file (YAML), reporting every problem as `file:line:column: sentence`.
///
/// ```yaml
/// tables:
///   - logical_name: account
///     entity_set: accounts
///     display_name: Account
///     primary_id: accountid
///     primary_name: name
///     columns:
///       name: { type: string, max_length: 160, display_name: Account Name }
///       primarycontactid: { type: lookup, target: contact }
///       industrycode: { type: choice, options: { 1: Accounting, 2: Agriculture } }
///     keys:
///       - { name: accountnumber_key, columns: [accountnumber] }
/// ```
/// Column types: string, memo, integer, decimal, money, boolean, datetime, lookup, choice. A
/// column may be written as its type alone (`telephone1: string`).
public enum SchemaReader {
    /// Default maximum lengths: 100 for string, 2,000 for memo, as Dataverse creates them.
    static let defaultStringLength = 100
    static let defaultMemoLength = 2_000

    public static func read(contentsOf url: URL) throws -> EmulatorSchema {
        try read(try SchemaFile.text(at: url), file: url.lastPathComponent)
    }

    public static func read(_ text: String, file: String) throws -> EmulatorSchema {
        let sink = DiagnosticSink()
        var tables: [TableSchema] = []
        if let root = YAMLValue.document(text, file: file, sink: sink)?.mapping() {
            root.rejectUnknownKeys(["tables"])
            for item in root.required("tables")?.sequence() ?? [] {
                if let table = readTable(item) { tables.append(table) }
            }
            crossCheck(tables, root: root)
        }
        if !sink.diagnostics.isEmpty { throw WorkspaceError(diagnostics: sink.diagnostics) }
        return EmulatorSchema(tables: tables)
    }

    private static func readTable(_ item: YAMLValue) -> TableSchema? {
        guard let fields = item.mapping() else { return nil }
        fields.rejectUnknownKeys([
            "logical_name", "entity_set", "display_name", "primary_id", "primary_name", "columns", "keys", "change_tracking", "bulk_operations",
        ])
        let logicalName = fields.requiredString("logical_name")
        let entitySet = fields.requiredString("entity_set")
        let primaryID = fields.requiredString("primary_id")
        let primaryName = fields.requiredString("primary_name")
        var columns: [Column] = []
        for entry in fields.required("columns")?.mapping()?.entries ?? [] {
            if let column = readColumn(entry.key, entry.value) { columns.append(column) }
        }
        var keys: [AlternateKey] = []
        for keyItem in fields["keys"]?.sequence() ?? [] {
            guard let keyFields = keyItem.mapping() else { continue }
            keyFields.rejectUnknownKeys(["name", "display_name", "columns"])
            guard let name = keyFields.requiredString("name"), let keyColumns = keyFields.required("columns")?.stringList() else { continue }
            for column in keyColumns where !columns.contains(where: { $0.logicalName == column }) {
                keyItem.report("\(keyItem.path).columns names \(column), which is not a column of this table")
            }
            keys.append(AlternateKey(logicalName: name, displayName: keyFields.string("display_name"), columns: keyColumns))
        }
        guard let logicalName, let entitySet, let primaryID, let primaryName else { return nil }
        if primaryName != primaryID, !columns.contains(where: { $0.logicalName == primaryName }) {
            item.report("\(item.path).primary_name names \(primaryName), which is not a column of this table")
        }
        return TableSchema(
            logicalName: logicalName, entitySetName: entitySet, displayName: fields.string("display_name"),
            primaryIDAttribute: primaryID, primaryNameAttribute: primaryName, columns: columns, keys: keys,
            changeTracking: fields["change_tracking"]?.bool() ?? true, bulkOperations: fields["bulk_operations"]?.bool() ?? true)
    }

    private static func readColumn(_ name: String, _ value: YAMLValue) -> Column? {
        if name != name.lowercased() { value.report("\(value.path): column names are lower case in Dataverse (\(name.lowercased()))") }
        // Shorthand: `telephone1: string`.
        if case .scalar = value.node {
            guard let type = value.string() else { return nil }
            return makeColumn(name, type: type, fields: nil, at: value)
        }
        guard let fields = value.mapping() else { return nil }
        fields.rejectUnknownKeys(["type", "max_length", "display_name", "target", "options"])
        guard let type = fields.requiredString("type") else { return nil }
        return makeColumn(name, type: type, fields: fields, at: value)
    }

    private static func makeColumn(_ name: String, type: String, fields: YAMLMapping?, at value: YAMLValue) -> Column? {
        let display = fields?.string("display_name")
        let columnType: ColumnType
        switch type {
        case "string": columnType = .string(maxLength: fields?["max_length"]?.int(min: 1) ?? defaultStringLength)
        case "memo": columnType = .memo(maxLength: fields?["max_length"]?.int(min: 1) ?? defaultMemoLength)
        case "integer": columnType = .integer
        case "decimal": columnType = .decimal
        case "money": columnType = .money
        case "boolean": columnType = .boolean
        case "datetime": columnType = .datetime
        case "lookup":
            guard let target = fields?.requiredString("target") else {
                if fields == nil { value.report("\(value.path) is a lookup and needs a target table: { type: lookup, target: TABLE }") }
                return nil
            }
            columnType = .lookup(target: target)
        case "choice":
            var options: [Int: String] = [:]
            for entry in fields?.required("options")?.mapping()?.entries ?? [] {
                guard let number = Int(entry.key) else {
                    entry.value.report("\(entry.value.path): choice values are whole numbers, not '\(entry.key)'")
                    continue
                }
                options[number] = entry.value.string()
            }
            if fields == nil { value.report("\(value.path) is a choice and needs its options: { type: choice, options: { 1: Label } }") }
            columnType = .choice(options: options)
        default:
            value.report(
                "\(value.path) has the unknown type '\(type)' (known: string, memo, integer, decimal, money, boolean, datetime, lookup, choice)")
            return nil
        }
        return Column(name, columnType, displayName: display)
    }

    private static func crossCheck(_ tables: [TableSchema], root: YAMLMapping) {
        var seen: Set<String> = []
        var sets: Set<String> = []
        let names = Set(tables.map(\.logicalName))
        for table in tables {
            if !seen.insert(table.logicalName).inserted { root.value.report("tables: the table \(table.logicalName) is declared twice") }
            if !sets.insert(table.entitySetName).inserted { root.value.report("tables: the entity set \(table.entitySetName) is used by two tables") }
            for column in table.columns {
                if case .lookup(let target) = column.type, !names.contains(target) {
                    root.value.report("tables: \(table.logicalName).\(column.logicalName) looks up \(target), which is not a table of this schema")
                }
            }
        }
    }
}
