/// The type of a column, as the emulator validates, stores and formats it.
public enum ColumnType: Sendable, Hashable {
    case string(maxLength: Int)
    case memo(maxLength: Int)
    case integer
    case decimal
    case money
    case boolean
    case datetime
    /// A reference to a record of the table with this logical name.
    case lookup(target: String)
    /// An option set: stored values and their labels.
    case choice(options: [Int: String])
    /// The table's primary id.
    case uniqueIdentifier

    /// The Web API's attribute type name (`AttributeType` in the metadata).
    public var attributeTypeName: String {
        switch self {
        case .string: "String"
        case .memo: "Memo"
        case .integer: "Integer"
        case .decimal: "Decimal"
        case .money: "Money"
        case .boolean: "Boolean"
        case .datetime: "DateTime"
        case .lookup: "Lookup"
        case .choice: "Picklist"
        case .uniqueIdentifier: "Uniqueidentifier"
        }
    }

    /// The OData (EDM) type of the property in `$metadata`.
    public var edmType: String {
        switch self {
        case .string, .memo: "Edm.String"
        case .integer, .choice: "Edm.Int32"
        case .decimal, .money: "Edm.Decimal"
        case .boolean: "Edm.Boolean"
        case .datetime: "Edm.DateTimeOffset"
        case .lookup, .uniqueIdentifier: "Edm.Guid"
        }
    }
}

/// One column of a table.
public struct Column: Sendable, Hashable {
    /// Lower-case logical name, for example `accountnumber`.
    public var logicalName: String
    /// Label shown to people, for example `Account Number`.
    public var displayName: String
    public var type: ColumnType

    public init(_ logicalName: String, _ type: ColumnType, displayName: String? = nil) {
        self.logicalName = logicalName
        self.type = type
        self.displayName = displayName ?? logicalName
    }

    /// The property a client reads: `_x_value` for a lookup, the logical name otherwise.
    public var propertyName: String {
        if case .lookup = type { return "_\(logicalName)_value" }
        return logicalName
    }
}

/// A set of columns whose values identify a record, like the primary id does.
public struct AlternateKey: Sendable, Hashable {
    public var logicalName: String
    public var displayName: String
    public var columns: [String]

    public init(logicalName: String, displayName: String? = nil, columns: [String]) {
        self.logicalName = logicalName
        self.displayName = displayName ?? logicalName
        self.columns = columns
    }
}

/// A table as the Web API serves it.
public struct TableSchema: Sendable, Hashable {
    /// For example `account`.
    public var logicalName: String
    /// The collection in URLs, for example `accounts`.
    public var entitySetName: String
    public var displayName: String
    /// The primary id column, for example `accountid`.
    public var primaryIDAttribute: String
    /// The primary name column, for example `name`.
    public var primaryNameAttribute: String
    /// Columns in declaration order, the primary id first.
    public var columns: [Column]
    public var keys: [AlternateKey]
    /// Whether `Prefer: odata.track-changes` is allowed. Default true.
    public var changeTracking: Bool
    /// Whether CreateMultiple, UpdateMultiple and UpsertMultiple are available. Default true.
    public var bulkOperations: Bool

    public init(
        logicalName: String, entitySetName: String, displayName: String? = nil, primaryIDAttribute: String, primaryNameAttribute: String,
        columns: [Column], keys: [AlternateKey] = [], changeTracking: Bool = true, bulkOperations: Bool = true
    ) {
        self.logicalName = logicalName
        self.entitySetName = entitySetName
        self.displayName = displayName ?? logicalName
        self.primaryIDAttribute = primaryIDAttribute
        self.primaryNameAttribute = primaryNameAttribute
        let idColumn = Column(primaryIDAttribute, .uniqueIdentifier)
        self.columns = [idColumn] + columns.filter { $0.logicalName != primaryIDAttribute } + SystemColumns.all
        self.keys = keys
        self.changeTracking = changeTracking
        self.bulkOperations = bulkOperations
    }

    public func column(_ logicalName: String) -> Column? {
        columns.first { $0.logicalName == logicalName }
    }

    /// The column a property name refers to: a logical name, or `_x_value` for lookup `x`.
    public func column(property: String) -> Column? {
        if property.hasPrefix("_"), property.hasSuffix("_value"), property.count > 7 {
            let name = String(property.dropFirst().dropLast(6))
            if let column = column(name), case .lookup = column.type { return column }
        }
        return column(property)
    }

    /// `Microsoft.Dynamics.CRM.account`, as error messages name a table.
    public var qualifiedName: String { "Microsoft.Dynamics.CRM.\(logicalName)" }
}

/// Columns every table has, maintained by the emulator.
public enum SystemColumns {
    public static let createdOn = "createdon"
    public static let modifiedOn = "modifiedon"
    public static let versionNumber = "versionnumber"
    static let all = [
        Column(createdOn, .datetime, displayName: "Created On"),
        Column(modifiedOn, .datetime, displayName: "Modified On"),
        Column(versionNumber, .integer, displayName: "Version Number"),
    ]
    public static let names: Set<String> = [createdOn, modifiedOn, versionNumber]
}

/// Every table the emulator serves: the schema's, and the system tables clients read to learn
/// what the service supports (`SystemTables`), unless the schema declares tables of those names.
public struct EmulatorSchema: Sendable {
    public var tables: [TableSchema]

    public init(tables: [TableSchema]) {
        self.tables = tables + SystemTables.all.filter { system in !tables.contains { $0.logicalName == system.logicalName } }
    }

    public func table(logicalName: String) -> TableSchema? {
        tables.first { $0.logicalName == logicalName }
    }

    public func table(entitySet: String) -> TableSchema? {
        tables.first { $0.entitySetName == entitySet }
    }
}
