import Foundation
import SwitchboardValues

/// The system tables clients read to learn what the service supports: `sdkmessages` (the
/// messages, such as `CreateMultiple`) and `sdkmessagefilters` (which table each message is
/// available for), with the rows the service has for the tables the schema serves. Read-only.
/// https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations
enum SystemTables {
    static let message = TableSchema(
        logicalName: "sdkmessage", entitySetName: "sdkmessages", displayName: "Sdk Message", primaryIDAttribute: "sdkmessageid",
        primaryNameAttribute: "name",
        columns: [
            Column("name", .string(maxLength: 256), displayName: "Name"),
            Column("categoryname", .string(maxLength: 25), displayName: "Category Name"),
            Column("isprivate", .boolean, displayName: "Is Private"),
        ], changeTracking: false, bulkOperations: false)

    static let messageFilter = TableSchema(
        logicalName: "sdkmessagefilter", entitySetName: "sdkmessagefilters", displayName: "Sdk Message Filter",
        primaryIDAttribute: "sdkmessagefilterid", primaryNameAttribute: "name",
        columns: [
            Column("name", .string(maxLength: 256), displayName: "Name"),
            Column("primaryobjecttypecode", .string(maxLength: 128), displayName: "Primary Object Type Code"),
            Column("secondaryobjecttypecode", .string(maxLength: 128), displayName: "Secondary Object Type Code"),
            Column("sdkmessageid", .lookup(target: "sdkmessage"), displayName: "SDK Message"),
            Column("isvisible", .boolean, displayName: "Is Visible"),
            Column("iscustomprocessingstepallowed", .boolean, displayName: "Custom Processing Step Allowed"),
        ], changeTracking: false, bulkOperations: false)

    static let all = [message, messageFilter]
    static let names: Set<String> = Set(all.map(\.logicalName))

    /// Messages every table has, and those only tables with bulk operations have.
    static let everyTable = ["Create", "Retrieve", "RetrieveMultiple", "Update", "Delete", "Upsert"]
    static let bulk = ["CreateMultiple", "UpdateMultiple", "UpsertMultiple"]

    /// The rows of both tables for `schema`'s own tables: each message once, and a filter per
    /// table and message it supports. Ids are derived from the names, so they are the same in
    /// every run.
    static func rows(for schema: EmulatorSchema) -> [(table: TableSchema, id: String, values: [String: JSONValue])] {
        let messages = everyTable + bulk
        var rows: [(TableSchema, String, [String: JSONValue])] = []
        var messageIDs: [String: String] = [:]
        for name in messages {
            let id = ApplicationUser.derivedID("sdkmessage:\(name)")
            messageIDs[name] = id
            rows.append(
                (message, id, ["sdkmessageid": .string(id), "name": .string(name), "categoryname": .string(""), "isprivate": .bool(false)]))
        }
        for table in schema.tables where !names.contains(table.logicalName) {
            for name in everyTable + (table.bulkOperations ? bulk : []) {
                guard let messageID = messageIDs[name] else { continue }
                let id = ApplicationUser.derivedID("sdkmessagefilter:\(name):\(table.logicalName)")
                rows.append(
                    (
                        messageFilter, id,
                        [
                            "sdkmessagefilterid": .string(id), "name": .string("\(name) \(table.logicalName)"),
                            "primaryobjecttypecode": .string(table.logicalName), "secondaryobjecttypecode": .string("none"),
                            "sdkmessageid": .string(messageID), "isvisible": .bool(true), "iscustomprocessingstepallowed": .bool(true),
                        ]
                    ))
            }
        }
        return rows
    }
}
