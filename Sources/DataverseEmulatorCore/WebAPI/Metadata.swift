import Foundation
import ODataFilter
import SwitchboardValues

/// Table metadata as the Web API serves it: `EntityDefinitions`, their `Attributes` and `Keys`,
/// and the CSDL `$metadata` document.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
enum Metadata {
    static let organizationID = "6f0a1f1c-1f3c-4d0e-9a6b-5e3c0de0a001"
    static let businessUnitID = "6f0a1f1c-1f3c-4d0e-9a6b-5e3c0de0a002"

    /// `EntityDefinitions`, `EntityDefinitions(LogicalName='x')`, `.../Attributes`,
    /// `.../Attributes(LogicalName='y')`, `.../Attributes/Microsoft.Dynamics.CRM.XAttributeMetadata`
    /// (a cast), `.../Keys`, `.../ManyToOneRelationships`, `.../OneToManyRelationships`; a table's
    /// `$expand` of `Attributes`, `Keys` and both relationship collections (each with its own
    /// `$select`). An option this emulator does not serve is refused with the service's error,
    /// never ignored.
    static func entityDefinitions(
        path: String, query: [(String, String)], schema: EmulatorSchema, baseURL: String
    ) throws(DataverseError) -> WebAPIResponse {
        let segments = path.split(separator: "/").map(String.init)
        let (_, keyText) = WebAPI.splitKey(segments[0])
        let select = query.first { $0.0 == "$select" }.map { $0.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let filter = try query.first { $0.0 == "$filter" }.map { pair throws(DataverseError) in try FilterParser.parse(pair.1) }
        let expand = try query.first { $0.0 == "$expand" }.map { pair throws(DataverseError) in try ExpandItem.parse(pair.1) } ?? []
        for (name, _) in query where name.hasPrefix("$") && !["$select", "$filter", "$expand"].contains(name) {
            throw DataverseError.badRequest("The query parameter \(name) is not supported for metadata queries.")
        }
        guard let keyText else {
            guard segments.count == 1 else { throw DataverseError.resourceNotFound(segment: segments[1]) }
            let entities = try schema.tables.map { table throws(DataverseError) in try expanded(table, expand, schema: schema) }
                .filter { matches($0, filter) }
            return collection(
                entities, context: "\(baseURL)$metadata#EntityDefinitions\(select.map { "(\($0.joined(separator: ",")))" } ?? "")", select: select,
                keep: expand.map(\.name))
        }
        guard let table = table(keyText, schema: schema) else {
            throw DataverseError(status: 404, code: "0x80040217", message: "Could not find entity with key \(keyText).")
        }
        let entityContext = "\(baseURL)$metadata#EntityDefinitions(\(keyText.replacingOccurrences(of: "'", with: "'")))"
        if segments.count == 1 {
            var object = project(try expanded(table, expand, schema: schema), select, keep: expand.map(\.name))
            object["@odata.context"] = .string(
                "\(baseURL)$metadata#EntityDefinitions\(select.map { "(\($0.joined(separator: ",")))" } ?? "")/$entity")
            return .json(200, .object(object))
        }
        let (member, memberKey) = WebAPI.splitKey(segments[1])
        switch member {
        case "Attributes":
            var attributes = table.columns.map { attribute($0, table: table) }
            var context = "\(entityContext)/Attributes"
            if segments.count > 2 {
                // A cast to one kind of attribute metadata keeps the attributes of that kind.
                let cast = segments[2]
                guard segments.count == 3, cast.hasPrefix("Microsoft.Dynamics.CRM."), cast.hasSuffix("AttributeMetadata") else {
                    throw DataverseError.resourceNotFound(segment: segments[2])
                }
                attributes = attributes.filter { $0["@odata.type"] == .string("#\(cast)") }
                context += "/\(cast)"
            }
            // A picklist's options are part of its metadata here: `$expand=OptionSet` asks for what is there.
            for item in expand where !(item.name == "OptionSet" || item.name == "GlobalOptionSet") {
                throw DataverseError.badRequest("Could not find a property named '\(item.name)' on type 'Microsoft.Dynamics.CRM.AttributeMetadata'.")
            }
            if let memberKey {
                guard segments.count == 2, let name = logicalName(memberKey),
                    let found = attributes.first(where: { $0["LogicalName"] == .string(name) })
                else {
                    throw DataverseError(
                        status: 404, code: "0x80040217", message: "Could not find attribute with key \(memberKey) on \(table.logicalName).")
                }
                var object = project(found, select, keep: expand.map(\.name))
                object["@odata.context"] = .string("\(entityContext)/Attributes/$entity")
                return .json(200, .object(object))
            }
            return collection(attributes.filter { matches($0, filter) }, context: context, select: select, keep: expand.map(\.name))
        case "Keys", "ManyToOneRelationships", "OneToManyRelationships":
            guard segments.count == 2, memberKey == nil else { throw DataverseError.resourceNotFound(segment: segments.last ?? member) }
            if let item = expand.first {
                throw DataverseError.badRequest("Could not find a property named '\(item.name)' on type 'Microsoft.Dynamics.CRM.\(member)'.")
            }
            return collection(
                members(member, of: table, schema: schema).filter { matches($0, filter) }, context: "\(entityContext)/\(member)", select: select)
        default:
            throw DataverseError.resourceNotFound(segment: member)
        }
    }

    /// The collection-valued navigation properties of a table's metadata, by name.
    static func members(_ name: String, of table: TableSchema, schema: EmulatorSchema) -> [[String: JSONValue]] {
        switch name {
        case "Attributes": table.columns.map { attribute($0, table: table) }
        case "Keys": table.keys.map { key($0, table: table) }
        case "ManyToOneRelationships": relationships(schema).filter { $0["ReferencingEntity"] == .string(table.logicalName) }
        case "OneToManyRelationships": relationships(schema).filter { $0["ReferencedEntity"] == .string(table.logicalName) }
        default: []
        }
    }

    /// The table's metadata with the members `$expand` asks for, each with its own `$select`.
    private static func expanded(_ table: TableSchema, _ expand: [ExpandItem], schema: EmulatorSchema) throws(DataverseError) -> [String: JSONValue] {
        var object = entity(table)
        for item in expand {
            guard ["Attributes", "Keys", "ManyToOneRelationships", "OneToManyRelationships"].contains(item.name) else {
                throw DataverseError.badRequest("Could not find a property named '\(item.name)' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.")
            }
            object[item.name] = .array(members(item.name, of: table, schema: schema).map { .object(project($0, item.select)) })
        }
        return object
    }

    /// One-to-many relationships, one per lookup column: the referenced (one) table, the
    /// referencing (many) table and column, and the navigation properties on each side.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/onetomanyrelationshipmetadata
    static func relationships(_ schema: EmulatorSchema) -> [[String: JSONValue]] {
        schema.tables.flatMap { referencing in
            referencing.columns.compactMap { column -> [String: JSONValue]? in
                guard case .lookup(let target) = column.type, let referenced = schema.table(logicalName: target) else { return nil }
                let name = "\(target)_\(referencing.logicalName)_\(column.logicalName)"
                return [
                    "MetadataId": .string(metadataID("relationship:\(name)")), "SchemaName": .string(name),
                    "RelationshipType": .string("OneToManyRelationship"), "IsCustomRelationship": .bool(false),
                    "ReferencedEntity": .string(referenced.logicalName), "ReferencedAttribute": .string(referenced.primaryIDAttribute),
                    "ReferencingEntity": .string(referencing.logicalName), "ReferencingAttribute": .string(column.logicalName),
                    "ReferencedEntityNavigationPropertyName": .string(name),
                    "ReferencingEntityNavigationPropertyName": .string(column.logicalName),
                    "@odata.type": .string("#Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata"),
                ]
            }
        }
    }

    private static func table(_ keyText: String, schema: EmulatorSchema) -> TableSchema? {
        if let name = logicalName(keyText) { return schema.table(logicalName: name) }
        // EntityDefinitions(<MetadataId>)
        return schema.tables.first { metadataID($0.logicalName) == RecordKey.normalizedGUID(keyText) }
    }

    private static func logicalName(_ keyText: String) -> String? {
        guard case .alternate(let parts) = RecordKey.parse(keyText), parts.count == 1, let literal = parts["LogicalName"] else { return nil }
        return literal.text
    }

    private static func collection(_ items: [[String: JSONValue]], context: String, select: [String]?, keep: [String] = []) -> WebAPIResponse {
        .json(200, .object(["@odata.context": .string(context), "value": .array(items.map { .object(project($0, select, keep: keep)) })]))
    }

    /// The `$select`ed properties, and those `keep` names (what `$expand` asked for).
    private static func project(_ object: [String: JSONValue], _ select: [String]?, keep: [String] = []) -> [String: JSONValue] {
        guard let select else { return object }
        var projected: [String: JSONValue] = ["MetadataId": object["MetadataId"] ?? .null]
        for name in select + keep { projected[name] = object[name] ?? .null }
        if let type = object["@odata.type"] { projected["@odata.type"] = type }
        return projected
    }

    private static func matches(_ object: [String: JSONValue], _ filter: FilterExpression?) -> Bool {
        guard let filter else { return true }
        return filter.matches { object[$0] ?? .null }
    }

    /// A stable id per name, so `MetadataId` does not change between runs.
    static func metadataID(_ name: String) -> String {
        ApplicationUser.derivedID("metadata:\(name)")
    }

    private static func label(_ text: String) -> JSONValue {
        let localized: JSONValue = .object(["Label": .string(text), "LanguageCode": .int(1033), "IsManaged": .bool(true)])
        return .object(["LocalizedLabels": .array([localized]), "UserLocalizedLabel": localized])
    }

    /// The table's managed properties as the service writes them (`BooleanManagedProperty`:
    /// `{"Value", "CanBeChanged", "ManagedPropertyLogicalName"}`), never null.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/entitymetadata
    static let managedProperties: [(name: String, logicalName: String, value: Bool)] = [
        ("CanBeInCustomEntityAssociation", "canbeincustomentityassociation", true), ("CanBeInManyToMany", "canbeinmanytomany", true),
        ("CanBePrimaryEntityInRelationship", "canbeprimaryentityinrelationship", true),
        ("CanBeRelatedEntityInRelationship", "canberelatedentityinrelationship", true),
        ("CanChangeHierarchicalRelationship", "canchangehierarchicalrelationship", true),
        ("CanChangeTrackingBeEnabled", "canchangetrackingbeenabled", true), ("CanCreateAttributes", "cancreateattributes", true),
        ("CanCreateCharts", "cancreatecharts", true), ("CanCreateForms", "cancreateforms", true), ("CanCreateViews", "cancreateviews", true),
        ("CanEnableSyncToExternalSearchIndex", "canenablesynctoexternalsearchindex", true),
        ("CanModifyAdditionalSettings", "canmodifyadditionalsettings", true), ("IsAuditEnabled", "canmodifyauditsettings", false),
        ("IsConnectionsEnabled", "canmodifyconnectionsettings", true), ("IsCustomizable", "iscustomizable", true),
        ("IsDuplicateDetectionEnabled", "canmodifyduplicatedetectionsettings", true), ("IsMailMergeEnabled", "canmodifymailmergesettings", true),
        ("IsMappable", "ismappable", true), ("IsOfflineInMobileClient", "canmodifymobileclientoffline", false),
        ("IsReadOnlyInMobileClient", "canmodifymobileclientreadonly", false), ("IsRenameable", "isrenameable", true),
        ("IsValidForQueue", "canmodifyqueuesettings", false), ("IsVisibleInMobile", "canmodifymobilevisibility", true),
        ("IsVisibleInMobileClient", "canmodifymobileclientvisibility", true),
    ]

    static func entity(_ table: TableSchema) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "MetadataId": .string(metadataID(table.logicalName)),
            "LogicalName": .string(table.logicalName), "SchemaName": .string(schemaName(table.logicalName)),
            "EntitySetName": .string(table.entitySetName), "LogicalCollectionName": .string(table.entitySetName),
            "CollectionSchemaName": .string(schemaName(table.entitySetName)),
            "PrimaryIdAttribute": .string(table.primaryIDAttribute), "PrimaryNameAttribute": .string(table.primaryNameAttribute),
            "DisplayName": label(table.displayName), "DisplayCollectionName": label(table.displayName + "s"),
            "ChangeTrackingEnabled": .bool(table.changeTracking), "IsCustomEntity": .bool(false), "TableType": .string("Standard"),
            "OwnershipType": .string("UserOwned"),
        ]
        for property in managedProperties {
            object[property.name] = .object([
                "Value": .bool(property.value), "CanBeChanged": .bool(true), "ManagedPropertyLogicalName": .string(property.logicalName),
            ])
        }
        return object
    }

    static func attribute(_ column: Column, table: TableSchema) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "MetadataId": .string(metadataID("\(table.logicalName).\(column.logicalName)")),
            "LogicalName": .string(column.logicalName), "SchemaName": .string(schemaName(column.logicalName)),
            "EntityLogicalName": .string(table.logicalName), "AttributeType": .string(column.type.attributeTypeName),
            "AttributeTypeName": .object(["Value": .string("\(column.type.attributeTypeName)Type")]),
            "DisplayName": label(column.displayName), "IsPrimaryId": .bool(column.logicalName == table.primaryIDAttribute),
            "IsPrimaryName": .bool(column.logicalName == table.primaryNameAttribute),
            "IsValidForCreate": .bool(!SystemColumns.names.contains(column.logicalName)),
            "IsValidForUpdate": .bool(!SystemColumns.names.contains(column.logicalName) && column.logicalName != table.primaryIDAttribute),
            "@odata.type": .string("#Microsoft.Dynamics.CRM.\(metadataType(column.type))"),
        ]
        switch column.type {
        case .string(let maxLength), .memo(let maxLength):
            object["MaxLength"] = .int(Int64(maxLength))
            object["FormatName"] = .object(["Value": .string("Text")])
        case .datetime:
            // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/datetimeattributemetadata
            object["Format"] = .string("DateAndTime")
            object["DateTimeBehavior"] = .object(["Value": .string("UserLocal")])
        case .lookup(let target): object["Targets"] = .array([.string(target)])
        case .choice(let options):
            object["OptionSet"] = .object([
                "Options": .array(
                    options.keys.sorted().map { value in
                        .object(["Value": .int(Int64(value)), "Label": label(options[value]!)])
                    })
            ])
        default: break
        }
        return object
    }

    static func key(_ key: AlternateKey, table: TableSchema) -> [String: JSONValue] {
        [
            "MetadataId": .string(metadataID("\(table.logicalName).key.\(key.logicalName)")),
            "LogicalName": .string(key.logicalName), "SchemaName": .string(schemaName(key.logicalName)),
            "EntityLogicalName": .string(table.logicalName), "KeyAttributes": .array(key.columns.map { .string($0) }),
            "DisplayName": label(key.displayName), "EntityKeyIndexStatus": .string("Active"),
        ]
    }

    private static func metadataType(_ type: ColumnType) -> String {
        switch type {
        case .string: "StringAttributeMetadata"
        case .memo: "MemoAttributeMetadata"
        case .integer: "IntegerAttributeMetadata"
        case .decimal: "DecimalAttributeMetadata"
        case .money: "MoneyAttributeMetadata"
        case .boolean: "BooleanAttributeMetadata"
        case .datetime: "DateTimeAttributeMetadata"
        case .lookup: "LookupAttributeMetadata"
        case .choice: "PicklistAttributeMetadata"
        case .uniqueIdentifier: "AttributeMetadata"
        }
    }

    /// `accountnumber` to `AccountNumber`-like schema names: the first letter upper case.
    private static func schemaName(_ name: String) -> String {
        name.prefix(1).uppercased() + name.dropFirst()
    }

    /// The CSDL document for the served tables.
    /// The OData service document at the Web API's root: every entity set the emulator serves
    /// (its tables', and `EntityDefinitions`), as `{"name", "kind": "EntitySet", "url"}`, which a
    /// client's connection check reads.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents
    static func serviceDocument(_ schema: EmulatorSchema, baseURL: String) -> WebAPIResponse {
        let sets = (schema.tables.map(\.entitySetName) + ["EntityDefinitions"]).sorted()
        return .json(
            200,
            .object([
                "@odata.context": .string("\(baseURL)$metadata"),
                "value": .array(sets.map { .object(["name": .string($0), "kind": .string("EntitySet"), "url": .string($0)]) }),
            ]))
    }

    static func document(_ schema: EmulatorSchema) -> WebAPIResponse {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
              <edmx:DataServices>
                <Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm">

            """
        for table in schema.tables {
            xml += "      <EntityType Name=\"\(table.logicalName)\">\n"
            xml += "        <Key><PropertyRef Name=\"\(table.primaryIDAttribute)\" /></Key>\n"
            for column in table.columns {
                xml += "        <Property Name=\"\(column.propertyName)\" Type=\"\(column.type.edmType)\" />\n"
            }
            for column in table.columns {
                if case .lookup(let target) = column.type {
                    xml += "        <NavigationProperty Name=\"\(column.logicalName)\" Type=\"mscrm.\(target)\" />\n"
                }
            }
            if table.changeTracking {
                xml +=
                    "        <Annotation Term=\"Org.OData.Capabilities.V1.ChangeTracking\"><Record><PropertyValue Property=\"Supported\" Bool=\"true\" /></Record></Annotation>\n"
            }
            xml += "      </EntityType>\n"
        }
        xml += "      <EntityContainer Name=\"System\">\n"
        for table in schema.tables {
            xml += "        <EntitySet Name=\"\(table.entitySetName)\" EntityType=\"Microsoft.Dynamics.CRM.\(table.logicalName)\" />\n"
        }
        xml += "      </EntityContainer>\n    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n"
        return WebAPIResponse(status: 200, headers: WebAPIResponse.odataHeaders + [("Content-Type", "application/xml")], body: Array(xml.utf8))
    }
}
