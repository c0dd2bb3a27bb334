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
/// `attributes` the columns read, without annotations. When the service refuses the saved link
/// (`400`: its delta token expired, or the environment was restored), `expired_token` decides:
/// fail, read the whole table again, or go on from now.
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
        guard let position else { return try await read(firstRead(table), skip: !trigger.initialLoad, table: table).page() }
        let skip = position.hasPrefix(Self.skipping)
        let answer = try await read(skip ? String(position.dropFirst(Self.skipping.count)) : position, skip: skip, table: table)
        guard case .refused(let reason) = answer else { return try answer.page() }
        // The service no longer answers the saved link: its delta token expired, or the
        // environment was restored or reset. Going on silently would skip changes.
        let refusal = "Dataverse refused the saved change tracking link of \(trigger.table) (\(reason))"
        switch trigger.expiredToken {
        case .fail:
            throw ChangeFeedError(
                "\(refusal); set source.changes.expired_token to initial_load to read the whole table again, or to latest to go on from now without the changes made in between, and reload"
            )
        case .initialLoad, .latest:
            var page = try await read(firstRead(table), skip: trigger.expiredToken == .latest, table: table).page()
            page.restarted =
                trigger.expiredToken == .latest
                ? "\(refusal); going on from the table as it is now, as source.changes.expired_token says: changes made in between are not sent"
                : "\(refusal); reading the whole table again, as source.changes.expired_token says"
            return page
        }
    }

    /// The first read of the table: every record, then the delta link.
    private func firstRead(_ table: DataverseTable) -> String {
        let select =
            trigger.select.isEmpty
            ? "" : "?$select=" + ([table.primaryID] + trigger.select.filter { $0 != table.primaryID }).joined(separator: ",")
        return connector.webAPI + trigger.table + select
    }

    /// One page read, or the service's refusal of a link it gave earlier (a `400`).
    private enum Answer {
        case page(ChangePage)
        case refused(String)

        func page() throws(ChangeFeedError) -> ChangePage {
            switch self {
            case .page(let page): return page
            case .refused(let reason): throw ChangeFeedError(reason)
            }
        }
    }

    private func read(_ url: String, skip: Bool, table: DataverseTable) async throws(ChangeFeedError) -> Answer {
        let (outcome, answer) = await connector.read(
            url, headers: [("Prefer", "odata.track-changes, odata.maxpagesize=\(pageSize)")], timeout: .seconds(120))
        let body: JSONValue
        switch outcome {
        case .response(200, _, _):
            do { body = try JSONValue(json: answer) } catch { throw ChangeFeedError("the answer to GET \(url) is not JSON") }
        case .response(400, _, _):
            return .refused("GET \(url) was answered 400: \(Self.message(answer))")
        case .response(let status, let retryAfter, _), .transient(let status, let retryAfter, _):
            throw ChangeFeedError("GET \(url) was answered \(status): \(Self.message(answer))", retryAfterMillis: Self.millis(retryAfter))
        case .refused(let status, _):
            throw ChangeFeedError("GET \(url) was answered \(status): \(Self.message(answer))")
        case .timeout:
            throw ChangeFeedError("GET \(url) had no answer in time")
        case .connectionFailed(let reason), .unsendable(let reason):
            throw ChangeFeedError("GET \(url) failed: \(reason)")
        }
        guard case .array(let items)? = body["value"] else {
            throw ChangeFeedError("the change tracking answer for \(trigger.table) has no value list")
        }
        let documents = skip ? [] : items.map { document($0, table: table) }
        if let next = body["@odata.nextLink"]?.text {
            return .page(ChangePage(documents: documents, position: (skip ? Self.skipping : "") + next, caughtUp: false))
        }
        guard let delta = body["@odata.deltaLink"]?.text else {
            throw ChangeFeedError(
                "the change tracking answer for \(trigger.table) has neither @odata.nextLink nor @odata.deltaLink; is change tracking enabled for the table?"
            )
        }
        return .page(ChangePage(documents: documents, position: delta, caughtUp: true))
    }

    /// The service's error message, or the start of the answer.
    private static func message(_ answer: [UInt8]) -> String {
        (try? JSONValue(json: answer))?["error"]?["message"]?.text ?? String(decoding: answer.prefix(300), as: UTF8.self)
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

    /// A `Retry-After` of whole seconds in milliseconds; nil when there is none or it is not a number.
    private static func millis(_ retryAfter: String?) -> Int64? {
        retryAfter.flatMap(Int64.init).map { $0.multipliedReportingOverflow(by: 1000).overflow ? Int64.max / 2 : $0 * 1000 }
    }
}
