import Foundation
import SwitchboardValues

/// `CreateMultiple`, `UpdateMultiple` and `UpsertMultiple` on a table's collection: all targets in
/// one transaction on standard tables, so one bad record fails the request and changes nothing.
///
/// https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations and
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/upsertmultiple:
/// every target needs `@odata.type`; CreateMultiple answers `200` with `Ids`, UpdateMultiple and
/// UpsertMultiple answer `204`. UpsertMultiple names each record with `@odata.id`
/// (`sample_examples(sample_keyattribute='0000001')`) or its primary id.
enum BulkOperations {
    static func handle(
        _ action: String, request: WebAPIRequest, table: TableSchema, baseURL: String, tables: inout RecordTables
    ) throws(DataverseError) -> WebAPIResponse {
        guard ["CreateMultiple", "UpdateMultiple", "UpsertMultiple"].contains(action) else {
            throw DataverseError.resourceNotFound(segment: "Microsoft.Dynamics.CRM.\(action)")
        }
        guard table.bulkOperations else {
            throw DataverseError.badRequest("The message \(action) is not available for the table '\(table.logicalName)'.")
        }
        guard case .array(let targets)? = try WebAPI.body(request)["Targets"] else {
            throw DataverseError.badRequest("The body of \(action) must be {\"Targets\": [records]}.")
        }
        var draft = tables
        var ids: [JSONValue] = []
        for (index, target) in targets.enumerated() {
            do throws(DataverseError) {
                guard case .string(let type)? = target["@odata.type"] else {
                    throw DataverseError.badRequest(
                        "Every item in Targets needs the @odata.type annotation (Microsoft.Dynamics.CRM.\(table.logicalName)).")
                }
                guard type == table.qualifiedName || type == "#\(table.qualifiedName)" else {
                    throw DataverseError.badRequest("The @odata.type '\(type)' is not \(table.qualifiedName), the table this \(action) addresses.")
                }
                let payload = try RecordPayload.parse(target, table: table)
                switch action {
                case "CreateMultiple":
                    ids.append(.string(try draft.create(table, payload).id))
                default:
                    let key = try key(of: target, payload: payload, table: table)
                    _ = try draft.upsert(table, key: key, payload, condition: action == "UpdateMultiple" ? .updateOnly : .upsert)
                }
            } catch {
                throw DataverseError(status: error.status, code: error.code, message: "Targets[\(index)]: \(error.message)", headers: error.headers)
            }
        }
        tables = draft
        var response: WebAPIResponse =
            action == "CreateMultiple"
            ? .json(
                200, .object(["@odata.context": .string("\(baseURL)$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse"), "Ids": .array(ids)]))
            : .noContent()
        response.operations = max(1, targets.count)
        return response
    }

    /// The record a target names: `@odata.id` with a key, or its primary id column.
    private static func key(of target: JSONValue, payload: RecordPayload, table: TableSchema) throws(DataverseError) -> RecordKey {
        if case .string(let reference)? = target["@odata.id"] {
            guard let bound = RecordPayload.bindTarget(reference), bound.entitySet == table.entitySetName else {
                throw DataverseError.badRequest(
                    "The @odata.id '\(reference)' must name a \(table.logicalName) record such as \(table.entitySetName)(key='value').")
            }
            return bound.key
        }
        if case .string(let id)? = payload.values[table.primaryIDAttribute] { return .id(id) }
        throw DataverseError.badRequest("Each target needs its \(table.primaryIDAttribute) or an @odata.id naming the record.")
    }
}
