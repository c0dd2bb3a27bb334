import Foundation
import SwitchboardEngine
import SwitchboardModel

/// Reads the `RemoteExecutionContext` a Dataverse webhook posts into a flat document that steps
/// can use without knowing the WCF shapes:
///
/// ```json
/// {"message": "Update", "table": "account", "id": "…", "attributes": {"name": "Contoso", "primarycontactid": {"id": "…", "table": "contact"}},
///  "pre_image": {…}, "post_image": {…}, "operation_id": "…", "correlation_id": "…", "user_id": "…",
///  "initiating_user_id": "…", "organization_id": "…", "depth": 1, "stage": 40, "mode": 1, "operation_created_on": "2026-11-27T10:00:00Z"}
/// ```
///
/// Attributes come from the `Target` input parameter (for a Delete, the target is a reference and
/// the attributes are empty); entity references become `{"id", "table"}`, option sets and money
/// their value, `/Date(ms)/` an ISO 8601 time.
/// https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks
public enum DataverseExecutionContext {
    public static func flatten(_ context: JSONValue) throws(IngestError) -> JSONValue {
        guard case .object(let fields) = context else {
            throw IngestError.invalidPayload("the body is not a Dataverse RemoteExecutionContext: it is not a JSON object")
        }
        func required(_ name: String) throws(IngestError) -> JSONValue {
            guard let value = fields[name] else {
                throw IngestError.invalidPayload("the body is not a Dataverse RemoteExecutionContext: \(name) is missing")
            }
            return value
        }
        var flat: [String: JSONValue] = [
            "message": try required("MessageName"), "table": try required("PrimaryEntityName"), "id": try required("PrimaryEntityId"),
            "operation_id": try required("OperationId"), "correlation_id": fields["CorrelationId"] ?? .null,
            "user_id": fields["UserId"] ?? .null, "initiating_user_id": fields["InitiatingUserId"] ?? .null,
            "organization_id": fields["OrganizationId"] ?? .null, "depth": fields["Depth"] ?? .null, "stage": fields["Stage"] ?? .null,
            "mode": fields["Mode"] ?? .null, "operation_created_on": value(fields["OperationCreatedOn"] ?? .null),
        ]
        var attributes: [String: JSONValue] = [:]
        if let target = parameter("Target", in: fields["InputParameters"]), case .array(let pairs)? = target["Attributes"] {
            attributes = pairsToObject(pairs)
        }
        flat["attributes"] = .object(attributes)
        flat["pre_image"] = image(fields["PreEntityImages"])
        flat["post_image"] = image(fields["PostEntityImages"])
        return .object(flat)
    }

    /// The value of `key` in a `[{"key": ..., "value": ...}]` list.
    private static func parameter(_ key: String, in list: JSONValue?) -> JSONValue? {
        guard case .array(let pairs)? = list else { return nil }
        return pairs.first { $0["key"]?.text == key }?["value"]
    }

    /// The first image's attributes, or null when there is none.
    private static func image(_ list: JSONValue?) -> JSONValue {
        guard case .array(let pairs)? = list, let entity = pairs.first?["value"], case .array(let attributes)? = entity["Attributes"] else {
            return .null
        }
        return .object(pairsToObject(attributes))
    }

    private static func pairsToObject(_ pairs: [JSONValue]) -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        for pair in pairs {
            guard case .string(let key)? = pair["key"] else { continue }
            object[key] = value(pair["value"] ?? .null)
        }
        return object
    }

    /// WCF values to plain JSON: references, option sets, money and dates.
    static func value(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            let type = object["__type"]?.text ?? ""
            if type.hasPrefix("EntityReference:") {
                return .object(["id": object["Id"] ?? .null, "table": object["LogicalName"] ?? .null, "name": object["Name"] ?? .null])
            }
            if type.hasPrefix("OptionSetValue:") || type.hasPrefix("Money:") { return object["Value"] ?? .null }
            return value
        case .string(let text) where text.hasPrefix("/Date("):
            return MicrosoftJSONDate.iso8601(text).map(JSONValue.string) ?? value
        default:
            return value
        }
    }
}
