import Foundation
import SwitchboardValues

/// Change tracking: `Prefer: odata.track-changes` returns the records with an `@odata.deltaLink`;
/// following the link returns what changed since, and deletions as `$deletedEntity` entries.
/// https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
enum ChangeTracking {
    /// How long a delta token stays valid: 7 days (`Organization.ExpireChangeTrackingInDays`).
    static let tokenLifetime: TimeInterval = 7 * 86_400

    static func answer(
        _ request: WebAPIRequest, table: TableSchema, options: QueryOptions, preferences: Preferences,
        tables: RecordTables, baseURL: String
    ) throws(DataverseError) -> WebAPIResponse {
        guard table.changeTracking else {
            throw DataverseError.badRequest("Change tracking is not enabled for the table '\(table.logicalName)'.")
        }
        for (name, _) in request.query where ["$filter", "$orderby", "$expand", "$top"].contains(name) {
            throw DataverseError.badRequest("The \"\(name)\" query parameter isn't supported when Change Tracking is enabled.")
        }
        let serializer = RecordSerializer(tables: tables, table: table, preferences: preferences)
        let selected = options.select.map { "(\($0.map(\.propertyName).joined(separator: ",")))" } ?? ""
        var items: [JSONValue] = []
        let now: Int64
        var context = "\(baseURL)$metadata#\(table.entitySetName)\(selected)"
        if let token = options.deltaToken {
            guard let since = version(of: token) else {
                throw DataverseError.badRequest(
                    "The $deltatoken '\(token)' is not one this service issued, or it has expired (tokens last 7 days); start again with Prefer: odata.track-changes."
                )
            }
            let changes = tables.changes(table, since: since)
            now = changes.now
            context += "/$delta"
            items = changes.changed.map { .object(serializer.object($0, select: options.select)) }
            let alive = Set(changes.changed.map(\.id))
            // A record deleted after the token is reported once as deleted, whatever happened to it before.
            for deletion in changes.deleted where !alive.contains(deletion.id) {
                items.append(
                    .object([
                        "@odata.context": .string("\(baseURL)$metadata#\(table.entitySetName)/$deletedEntity"),
                        "id": .string(deletion.id), "reason": .string("deleted"),
                    ]))
            }
        } else {
            now = tables.version
            items = tables.all(table).map { .object(serializer.object($0, select: options.select)) }
        }
        var parameters = request.query.filter { $0.0 != "$deltatoken" }
        parameters.append(("$deltatoken", token(version: now)))
        let body: JSONValue = .object([
            "@odata.context": .string(context), "value": .array(items),
            "@odata.deltaLink": .string("\(baseURL)\(table.entitySetName)?\(WebAPI.encodeQuery(parameters))"),
        ])
        return .json(200, body, headers: preferences.trackChanges ? [("Preference-Applied", "odata.track-changes")] : [])
    }

    /// `<version>!<MM/dd/yyyy HH:mm:ss>`, the documented shape of a delta token.
    static func token(version: Int64, at date: Date = Date()) -> String {
        var format = Date.VerbatimFormatStyle(
            format:
                "\(month: .twoDigits)/\(day: .twoDigits)/\(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
            timeZone: TimeZone(identifier: "UTC")!, calendar: Calendar(identifier: .gregorian))
        format.locale = Locale(identifier: "en_US_POSIX")
        return "\(version)!\(date.formatted(format))"
    }

    /// The version a token stands for, or nil when it is malformed or older than 7 days.
    static func version(of token: String) -> Int64? {
        let parts = token.split(separator: "!", maxSplits: 1)
        guard parts.count == 2, let version = Int64(parts[0]) else { return nil }
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "MM/dd/yyyy HH:mm:ss"
        guard let issued = parser.date(from: String(parts[1])), Date().timeIntervalSince(issued) < tokenLifetime else { return nil }
        return version
    }
}
