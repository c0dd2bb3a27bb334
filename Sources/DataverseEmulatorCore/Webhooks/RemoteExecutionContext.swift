import Foundation
import SwitchboardValues

/// The JSON Dataverse posts to a webhook: a serialized `RemoteExecutionContext`.
/// https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks (the example body
/// of an asynchronous PostOperation step: Stage 40, Mode 1, dates as "/Date(ms)/", attributes and
/// parameters as arrays of key/value pairs).
enum RemoteExecutionContext {
    static func body(for event: ChangeEvent, table: TableSchema, userID: String, correlationID: String, operationID: String, now: Date) -> JSONValue {
        let entityType = "Entity:http://schemas.microsoft.com/xrm/2011/Contracts"
        let referenceType = "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"
        let target: JSONValue
        if event.message == .delete {
            target = .object([
                "__type": .string(referenceType), "Id": .string(event.record.id), "LogicalName": .string(table.logicalName), "Name": .null,
            ])
        } else {
            target = entity(event.record, table: table, type: entityType, referenceType: referenceType)
        }
        var postImages: [JSONValue] = []
        var preImages: [JSONValue] = []
        if event.message != .delete {
            postImages.append(
                keyValue("AsynchronousStepPrimaryName", entity(event.record, table: table, type: entityType, referenceType: referenceType)))
        }
        if let before = event.before {
            preImages.append(keyValue("PreImage", entity(before, table: table, type: entityType, referenceType: referenceType)))
        }
        let organization = Metadata.organizationID
        return .object([
            "BusinessUnitId": .string(Metadata.businessUnitID),
            "CorrelationId": .string(correlationID),
            "Depth": .int(1),
            "InitiatingUserId": .string(userID),
            "InputParameters": .array([keyValue("Target", target)]),
            "IsExecutingOffline": .bool(false),
            "IsInTransaction": .bool(false),
            "IsOfflinePlayback": .bool(false),
            "IsolationMode": .int(1),
            "MessageName": .string(event.message.rawValue),
            "Mode": .int(1),
            "OperationCreatedOn": .string(date(now)),
            "OperationId": .string(operationID),
            "OrganizationId": .string(organization),
            "OrganizationName": .string("switchboard-emulator"),
            "OutputParameters": .array(event.message == .create ? [keyValue("id", .string(event.record.id))] : []),
            "OwningExtension": .object([
                "__type": .string(referenceType), "Id": .string(ApplicationUser.derivedID("step:\(table.logicalName):\(event.message.rawValue)")),
                "LogicalName": .string("sdkmessageprocessingstep"), "Name": .string("Switchboard emulator webhook"),
            ]),
            "ParentContext": .null,
            "PostEntityImages": .array(postImages),
            "PreEntityImages": .array(preImages),
            "PrimaryEntityId": .string(event.record.id),
            "PrimaryEntityName": .string(table.logicalName),
            "RequestId": .null,
            "SecondaryEntityName": .string("none"),
            "SharedVariables": .array([]),
            "Stage": .int(40),
            "UserId": .string(userID),
        ])
    }

    private static func entity(_ record: StoredRecord, table: TableSchema, type: String, referenceType: String) -> JSONValue {
        var attributes: [JSONValue] = []
        for column in table.columns {
            guard let value = record.values[column.logicalName], value != .null else { continue }
            let written: JSONValue
            switch column.type {
            case .lookup(let target):
                written = .object(["__type": .string(referenceType), "Id": .string(value.text), "LogicalName": .string(target), "Name": .null])
            case .datetime:
                written = ValueCoercion.parseDate(value.text).map { .string(date($0)) } ?? value
            case .choice:
                written = .object(["__type": .string("OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts"), "Value": value])
            case .money:
                written = .object(["__type": .string("Money:http://schemas.microsoft.com/xrm/2011/Contracts"), "Value": value])
            default:
                written = value
            }
            attributes.append(keyValue(column.logicalName, written))
        }
        return .object([
            "__type": .string(type), "Attributes": .array(attributes), "EntityState": .null, "FormattedValues": .array([]),
            "Id": .string(record.id), "KeyAttributes": .array([]), "LogicalName": .string(table.logicalName),
            "RelatedEntities": .array([]), "RowVersion": .string(String(record.version)),
        ])
    }

    private static func keyValue(_ key: String, _ value: JSONValue) -> JSONValue {
        .object(["key": .string(key), "value": value])
    }

    /// `/Date(1506384247000)/`, the WCF JSON date the context uses.
    static func date(_ date: Date) -> String {
        "/Date(\(Int64(date.timeIntervalSince1970 * 1000)))/"
    }
}
