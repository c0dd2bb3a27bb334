import Foundation
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// A Dataverse table's changes through change tracking: the first read asks for the table with
/// `Prefer: odata.track-changes`, later reads follow `@odata.nextLink` and then `@odata.deltaLink`.
///
/// Each created or updated record becomes `{"message": "Upsert", "table", "id", "attributes"}`
/// (change tracking does not say which of the two it was), each deletion
/// `{"message": "Delete", "table", "id", "attributes": {}}`; `table` is the logical name and
/// `attributes` the columns read, without annotations.
/// https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
public final class DataverseChangeFeed: ChangeFeed {
    private let connector: DataverseConnector
    private let trigger: DataverseChanges
    /// Prefix of a position inside a first read whose records are skipped (`initial_load: false`).
    static let skipping = "skip-initial:"
    /// Records per page asked for. Default 1,000.
    public let pageSize = 1_000

    public init(connector: DataverseConnector, changes: DataverseChanges) {
        self.connector = connector
        self.trigger = changes
    }

    public func changes(after position: String?) async throws(ChangeFeedError) -> ChangePage {
        let table: DataverseTable
        do { table = try await connector.table(entitySet: trigger.table) } catch {
            throw ChangeFeedError(
                "reading the metadata of \(trigger.table) failed: \(error.message)", retryAfterMillis: Self.millis(error.outcome.retryAfter))
        }
        let url: String
        var skip = false
        if let position {
            skip = position.hasPrefix(Self.skipping)
            url = skip ? String(position.dropFirst(Self.skipping.count)) : position
        } else {
            skip = !trigger.initialLoad
            let select =
                trigger.select.isEmpty
                ? "" : "?$select=" + ([table.primaryID] + trigger.select.filter { $0 != table.primaryID }).joined(separator: ",")
            url = connector.webAPI + trigger.table + select
        }
        let body = try await get(url, headers: [("Prefer", "odata.track-changes, odata.maxpagesize=\(pageSize)")])
        guard case .array(let items)? = body["value"] else {
            throw ChangeFeedError("the change tracking answer for \(trigger.table) has no value list")
        }
        let documents = skip ? [] : items.map { document($0, table: table) }
        if let next = body["@odata.nextLink"]?.text {
            return ChangePage(documents: documents, position: (skip ? Self.skipping : "") + next, caughtUp: false)
        }
        guard let delta = body["@odata.deltaLink"]?.text else {
            throw ChangeFeedError(
                "the change tracking answer for \(trigger.table) has neither @odata.nextLink nor @odata.deltaLink; is change tracking enabled for the table?"
            )
        }
        return ChangePage(documents: documents, position: delta, caughtUp: true)
    }

    private func document(_ item: JSONValue, table: DataverseTable) -> JSONValue {
        guard case .object(let fields) = item else { return .null }
        if fields["reason"]?.text == "deleted" || (fields["@odata.context"]?.text.hasSuffix("$deletedEntity") ?? false) {
            return .object([
                "message": .string("Delete"), "table": .string(table.logicalName), "id": fields["id"] ?? .null, "attributes": .object([:]),
            ])
        }
        let attributes = fields.filter { !$0.key.contains("@") }
        return .object([
            "message": .string("Upsert"), "table": .string(table.logicalName), "id": fields[table.primaryID] ?? .null,
            "attributes": .object(attributes),
        ])
    }

    private func get(_ url: String, headers: [(String, String)]) async throws(ChangeFeedError) -> JSONValue {
        let (outcome, body) = await connector.read(url, headers: headers, timeout: .seconds(120))
        switch outcome {
        case .response(200, _, _):
            do { return try JSONValue(json: body) } catch { throw ChangeFeedError("the answer to GET \(url) is not JSON") }
        case .response(let status, let retryAfter, _), .transient(let status, let retryAfter, _):
            let message = (try? JSONValue(json: body))?["error"]?["message"]?.text ?? String(decoding: body.prefix(300), as: UTF8.self)
            throw ChangeFeedError("GET \(url) was answered \(status): \(message)", retryAfterMillis: Self.millis(retryAfter))
        case .timeout:
            throw ChangeFeedError("GET \(url) had no answer in time")
        case .connectionFailed(let reason), .unsendable(let reason):
            throw ChangeFeedError("GET \(url) failed: \(reason)")
        }
    }

    /// A `Retry-After` of whole seconds in milliseconds; nil when there is none or it is not a number.
    private static func millis(_ retryAfter: String?) -> Int64? {
        retryAfter.flatMap(Int64.init).map { $0.multipliedReportingOverflow(by: 1000).overflow ? Int64.max / 2 : $0 * 1000 }
    }
}
