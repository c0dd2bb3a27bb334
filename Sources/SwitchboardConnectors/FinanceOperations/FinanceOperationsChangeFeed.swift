import Foundation
import SwitchboardEngine
import SwitchboardModel

/// A Finance & Operations entity's changes, polled by its modified date and time: each read asks
/// for `$filter=ModifiedDateTime ge <last seen>&$orderby=ModifiedDateTime&$top=<page size>`, and
/// turns every record into `{"message": "Upsert", "entity", "company", "record"}` (`record` the
/// fields read, without annotations). Deletes are not seen: an entity's rows carry no trace of a
/// deleted record.
///
/// The position, saved with the messages read up to it, is `{"since", "seen"}`: the latest
/// modified time read and the records read at exactly that time. The next read asks from that
/// time on (a record written in the same instant may commit later) and skips those records, so
/// each version of a record is sent once. A full page asks again at once; a full page of records
/// that all share one modified time cannot be passed, and the feed says so.
public final class FinanceOperationsChangeFeed: ChangeFeed {
    private let connector: FinanceOperationsConnector
    private let source: FinanceOperationsChanges
    private let now: @Sendable () -> Date
    /// Records per read: the service's largest page, 10,000. Smaller for tests.
    let pageSize: Int

    public init(
        connector: FinanceOperationsConnector, changes: FinanceOperationsChanges, pageSize: Int = 10_000,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.connector = connector
        source = changes
        self.pageSize = pageSize
        self.now = now
    }

    struct Position: Codable, Equatable {
        /// The latest modified time read, as the service wrote it; nil: from the beginning.
        var since: String?
        /// Identities (the serialized fields) of the records read whose modified time is `since`.
        var seen: [String] = []
    }

    public func changes(after position: String?) async throws(ChangeFeedError) -> ChangePage {
        var state: Position
        if let position {
            guard let decoded = try? JSONDecoder().decode(Position.self, from: Data(position.utf8)) else {
                throw ChangeFeedError("the saved position of \(source.entity) cannot be read: \(position.prefix(120))")
            }
            state = decoded
        } else if source.initialLoad {
            state = Position()
        } else {
            // Only later changes: from now on.
            state = Position(since: now().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        let url = self.url(since: state.since)
        let (outcome, answer) = await connector.read(url, timeout: .seconds(120))
        guard case .response(200, _, _) = outcome else { throw Self.failure(outcome, url: url, answer: answer) }
        guard case .array(let items)? = (try? JSONValue(json: answer))?["value"] else {
            throw ChangeFeedError("the answer to GET \(url.prefix(200)) has no value list")
        }
        let field = source.modifiedField
        let skipped = Set(state.seen)
        var documents: [JSONValue] = []
        for item in items {
            guard case .object(let fields) = item else { continue }
            let record = fields.filter { !$0.key.contains("@") }
            guard let modified = record[field]?.text, !modified.isEmpty else {
                throw ChangeFeedError("\(source.entity) answered a record without \(field); is it the entity's modified date and time field?")
            }
            let identity = String(decoding: JSONValue.object(record).serialized(), as: UTF8.self)
            if modified == state.since, skipped.contains(identity) { continue }
            if modified != state.since {
                state.since = modified
                state.seen = []
            }
            state.seen.append(identity)
            documents.append(
                .object([
                    "message": .string("Upsert"), "entity": .string(source.entity),
                    "company": record[FinanceOperationsRequests.company] ?? .null, "record": .object(record),
                ]))
        }
        let full = items.count >= pageSize
        if full, documents.isEmpty {
            throw ChangeFeedError(
                "more than \(pageSize) records of \(source.entity) share the modified time \(state.since ?? ""), so polling by \(field) cannot pass them")
        }
        return ChangePage(documents: documents, position: Self.encode(state), caughtUp: !full)
    }

    /// `…/data/CustomersV3?$filter=ModifiedDateTime%20ge%202026-12-03T10:00:00.123Z&$orderby=ModifiedDateTime&$top=10000&$select=…&cross-company=true`.
    private func url(since: String?) -> String {
        var conditions: [String] = []
        if let since { conditions.append("\(source.modifiedField)%20ge%20\(since.percentEncoded)") }
        if let company = source.company { conditions.append("\(FinanceOperationsRequests.company)%20eq%20\(ODataLiteral.quoted(company))") }
        var options: [String] = []
        if !conditions.isEmpty { options.append("$filter=" + conditions.joined(separator: "%20and%20")) }
        options.append("$orderby=\(source.modifiedField)")
        options.append("$top=\(pageSize)")
        if !source.select.isEmpty {
            let extra = [FinanceOperationsRequests.company, source.modifiedField]
            options.append("$select=" + (extra + source.select.filter { !extra.contains($0) }).joined(separator: ","))
        }
        options.append("cross-company=true")
        return connector.serviceRoot + source.entity + "?" + options.joined(separator: "&")
    }

    private static func encode(_ position: Position) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(position)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private static func failure(_ outcome: TransportOutcome, url: String, answer: [UInt8]) -> ChangeFeedError {
        let message = (try? JSONValue(json: answer))?["error"]?["message"]?.text ?? String(decoding: answer.prefix(300), as: UTF8.self)
        let target = "GET \(url.prefix(200))"
        switch outcome {
        case .response(let status, let retryAfter, _), .transient(let status, let retryAfter, _):
            return ChangeFeedError(
                "\(target) was answered \(status): \(message)", retryAfterMillis: retryAfter.flatMap(Int64.init).map { min(max($0, 0), 86_400) * 1000 })
        case .refused(let status, _): return ChangeFeedError("\(target) was answered \(status): \(message)")
        case .timeout: return ChangeFeedError("\(target) had no answer in time")
        case .connectionFailed(let reason), .unsendable(let reason): return ChangeFeedError("\(target) failed: \(reason)")
        }
    }
}
