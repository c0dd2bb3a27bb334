import SwitchboardValues

/// The type of an entity field, as the emulator checks and writes it.
public enum FieldType: Sendable, Hashable {
    /// Text of at most `maxLength` characters.
    case string(maxLength: Int)
    /// A 32-bit whole number (X++ `int`).
    case int
    /// A 64-bit whole number (X++ `int64`, `RecId`).
    case int64
    /// A decimal number (X++ `real`: amounts, quantities).
    case real
    /// A date (`2026-01-31`).
    case date
    /// A date and time in UTC (`2026-01-31T10:00:00Z`).
    case dateTime
    /// A member of the named enum, written by its name (`"Yes"`), filtered as
    /// `Microsoft.Dynamics.DataEntities.NoYes'Yes'`.
    case enumeration(String)

    /// The OData (EDM) type `$metadata` declares.
    public var edmType: String {
        switch self {
        case .string: "Edm.String"
        case .int: "Edm.Int32"
        case .int64: "Edm.Int64"
        case .real: "Edm.Decimal"
        case .date: "Edm.Date"
        case .dateTime: "Edm.DateTimeOffset"
        case .enumeration(let name): "\(EntitySchema.namespace).\(name)"
        }
    }
}

/// One field of a data entity.
public struct EntityField: Sendable, Hashable {
    /// As the entity names it, case-sensitive (`CustomerAccount`).
    public var name: String
    public var type: FieldType
    /// Must be given on create (the table's mandatory fields); a create without it fails with
    /// the infolog's "Field '…' must be filled in."
    public var mandatory: Bool
    /// For a key field the create may leave out: the number sequence's prefix (`SO-`), followed
    /// by the next number in six digits.
    public var numberSequence: String?

    public init(_ name: String, _ type: FieldType, mandatory: Bool = false, numberSequence: String? = nil) {
        self.name = name
        self.type = type
        self.mandatory = mandatory
        self.numberSequence = numberSequence
    }
}

/// A navigation property: the records of another entity set that share this record's company
/// and the values of the joined fields (`SalesOrderHeadersV2.SalesOrderLines`: the lines whose
/// `SalesOrderNumber` is the header's).
public struct EntityNavigation: Sendable, Hashable {
    public var name: String
    /// The related entity set.
    public var set: String
    /// Each field of this entity and the related entity's field that must equal it.
    public var join: [String: String]
    /// A collection (the lines of a header) or one record.
    public var many: Bool

    public init(name: String, set: String, join: [String: String], many: Bool) {
        self.name = name
        self.set = set
        self.join = join
        self.many = many
    }
}

/// A business event a write of an entity raises, standing in for the business process that
/// raises it in the service (posting an invoice raises `SalesInvoicePostedBusinessEvent`): its
/// id (the event's class name), the writes that raise it, and each payload field (its
/// contract's `DataMember` name) with the entity field it is read from.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/business-events/business-events-dev-doc
public struct EntityBusinessEvent: Sendable, Hashable {
    public enum Trigger: String, Sendable, Hashable, CaseIterable {
        case create, update, delete
    }

    public var id: String
    public var on: Set<Trigger>
    /// Payload field names and the entity fields they are read from, in order.
    public var fields: [(payload: String, field: String)]

    public init(id: String, on: Set<Trigger>, fields: [(payload: String, field: String)]) {
        self.id = id
        self.on = on
        self.fields = fields
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.id == b.id && a.on == b.on && a.fields.map { [$0.payload, $0.field] } == b.fields.map { [$0.payload, $0.field] }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// A data entity as OData exposes it: an entity set (`CustomersV3`) of an entity type
/// (`CustomerV3`), its fields and its key.
public struct EntityType: Sendable, Hashable {
    /// The entity type's name (`CustomerV3`), as `$metadata` declares it.
    public var name: String
    /// The entity set's name (`CustomersV3`), as URLs address it.
    public var setName: String
    /// The table the error texts name (`CustCustomerV3Entity`).
    public var tableName: String
    /// Company-specific: `dataAreaId` is a field and the first part of the key, and reads see the
    /// caller's default company unless `cross-company=true`. Shared entities have neither.
    public var perCompany: Bool
    /// The fields, `dataAreaId` first when per company.
    public var fields: [EntityField]
    /// The key's fields in order, `dataAreaId` first when per company.
    public var key: [String]
    /// Refuses delete, as Released products V2 does.
    public var deletable: Bool
    /// Its navigation properties, which `$expand` follows one level deep.
    public var navigations: [EntityNavigation]
    /// The business events its writes raise. Default none.
    public var businessEvents: [EntityBusinessEvent]
    /// A date-and-time field the service sets to the time of every create and update (an entity
    /// extended with its table's `ModifiedDateTime`), which clients poll by. Default none.
    public var modifiedField: String?

    public init(
        name: String, setName: String, tableName: String, perCompany: Bool, fields: [EntityField], key: [String], deletable: Bool = true,
        navigations: [EntityNavigation] = [], businessEvents: [EntityBusinessEvent] = [], modifiedField: String? = nil
    ) {
        self.modifiedField = modifiedField
        self.navigations = navigations
        self.businessEvents = businessEvents
        self.name = name
        self.setName = setName
        self.tableName = tableName
        self.perCompany = perCompany
        self.fields = perCompany && !fields.contains { $0.name == EntitySchema.company } ? [EntityField(EntitySchema.company, .string(maxLength: 4))] + fields : fields
        self.key = perCompany && !key.contains(EntitySchema.company) ? [EntitySchema.company] + key : key
        self.deletable = deletable
    }

    public func field(_ name: String) -> EntityField? { fields.first { $0.name == name } }

    public func navigation(_ name: String) -> EntityNavigation? { navigations.first { $0.name == name } }
}

/// The entities and enums one emulator serves.
public struct EntitySchema: Sendable {
    /// The namespace of entity types and enums: `Microsoft.Dynamics.DataEntities`.
    public static let namespace = "Microsoft.Dynamics.DataEntities"
    /// The company field of company-specific entities.
    public static let company = "dataAreaId"

    public var entities: [EntityType]
    /// Each enum's members by name, in their order (the first is the default).
    public var enums: [String: [String]]

    public init(entities: [EntityType], enums: [String: [String]]) {
        self.entities = entities
        self.enums = enums
    }

    public func entity(set name: String) -> EntityType? { entities.first { $0.setName == name } }
}
