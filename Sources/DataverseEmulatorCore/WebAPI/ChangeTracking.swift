import Foundation
import SwitchboardValues

/// Change tracking: `Prefer: odata.track-changes` returns the records with an `@odata.deltaLink`;
/// following the link returns what changed since, and deletions as `$deletedEntity` entries.
/// Under `odata.maxpagesize=N` (default and at most 5,000) the first read and every delta read
/// come in pages: each but the last has an `@odata.nextLink`, and only the last the delta link.
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
        var context = "\(baseURL)$metadata#\(table.entitySetName)\(selected)"
        // A page after the first carries where the read started, where it stops and the last entry sent.
        let cursor = try request.query.first { $0.0 == "$skiptoken" }.map { pair throws(DataverseError) in
            guard let cursor = Cursor(cookie: pair.1) else {
                throw DataverseError.badRequest("The $skiptoken is not one this service issued; use @odata.nextLink as it is.")
            }
            // A read that began before the history did (a reset since) cannot go on truthfully.
            guard cursor.upTo >= tables.history.firstVersion, cursor.upTo <= tables.version else {
                throw DataverseError.badRequest(
                    "The $skiptoken belongs to a read this service can no longer continue; start again with Prefer: odata.track-changes.")
            }
            return cursor
        }
        var since: Int64?
        if let cursor {
            since = cursor.since
        } else if let token = options.deltaToken {
            guard let version = version(of: token, history: tables.history, current: tables.version) else {
                throw DataverseError.badRequest(
                    "The $deltatoken '\(token)' is not one this service issued, or it has expired (tokens last 7 days); start again with Prefer: odata.track-changes."
                )
            }
            since = version
        }
        // Every page of one read lists the changes up to the version the read began at; what
        // changes meanwhile comes with the next delta link.
        let upTo = cursor?.upTo ?? tables.version
        var entries: [(version: Int64, id: String, item: JSONValue)] = []
        if let since {
            context += "/$delta"
            let changes = tables.changes(table, since: since)
            let changed = changes.changed.filter { $0.version <= upTo }
            entries = changed.map { ($0.version, $0.id, .object(serializer.object($0, select: options.select))) }
            let alive = Set(changes.changed.map(\.id))
            // A record deleted after the token is reported once as deleted, whatever happened to it before.
            for deletion in changes.deleted where !alive.contains(deletion.id) && deletion.version <= upTo {
                entries.append(
                    (
                        deletion.version, deletion.id,
                        .object([
                            "@odata.context": .string("\(baseURL)$metadata#\(table.entitySetName)/$deletedEntity"),
                            "id": .string(deletion.id), "reason": .string("deleted"),
                        ])
                    ))
            }
        } else {
            entries = tables.all(table).filter { $0.version <= upTo }.map {
                ($0.version, $0.id, .object(serializer.object($0, select: options.select)))
            }
        }
        entries.sort { ($0.version, $0.id) < ($1.version, $1.id) }
        if let cursor { entries.removeAll { ($0.version, $0.id) <= (cursor.afterVersion, cursor.afterID) } }
        let pageSize = min(max(1, preferences.maxPageSize ?? QueryOptions.maxPageSize), QueryOptions.maxPageSize)
        let page = entries.prefix(pageSize)
        var body: [String: JSONValue] = ["@odata.context": .string(context), "value": .array(page.map(\.item))]
        var parameters = request.query.filter { $0.0 != "$deltatoken" && $0.0 != "$skiptoken" }
        if entries.count > pageSize, let last = page.last {
            let next = Cursor(since: since, upTo: upTo, afterVersion: last.version, afterID: last.id, page: (cursor?.page ?? 1) + 1)
            parameters.append(("$skiptoken", next.cookie))
            body["@odata.nextLink"] = .string("\(baseURL)\(table.entitySetName)?\(WebAPI.encodeQuery(parameters))")
        } else {
            parameters.append(("$deltatoken", token(version: upTo)))
            body["@odata.deltaLink"] = .string("\(baseURL)\(table.entitySetName)?\(WebAPI.encodeQuery(parameters))")
        }
        var applied: [String] = []
        if preferences.trackChanges { applied.append("odata.track-changes") }
        if let requested = preferences.maxPageSize { applied.append("odata.maxpagesize=\(min(max(1, requested), QueryOptions.maxPageSize))") }
        return .json(200, .object(body), headers: applied.isEmpty ? [] : [("Preference-Applied", applied.joined(separator: ","))])
    }

    /// Where a paged read of changes stands, carried in the `$skiptoken` of its `@odata.nextLink`
    /// as a paging cookie: the version it reads from (none: every record), the version it reads
    /// up to, and the last entry sent.
    struct Cursor: Sendable, Hashable {
        var since: Int64?
        var upTo: Int64
        var afterVersion: Int64
        var afterID: String
        var page: Int

        var cookie: String {
            #"<cookie pagenumber="\#(page)" istracking="True" since="\#(since.map(String.init) ?? "")" upto="\#(upTo)" after="\#(afterVersion):\#(afterID)" />"#
        }

        init(since: Int64?, upTo: Int64, afterVersion: Int64, afterID: String, page: Int) {
            self.since = since
            self.upTo = upTo
            self.afterVersion = afterVersion
            self.afterID = afterID
            self.page = page
        }

        init?(cookie: String) {
            func attribute(_ name: String) -> String? {
                guard let start = cookie.range(of: " \(name)=\"") else { return nil }
                let rest = cookie[start.upperBound...]
                return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
            }
            guard cookie.contains(#"istracking="True""#), let page = attribute("pagenumber").flatMap(Int.init),
                let upTo = attribute("upto").flatMap(Int64.init), let after = attribute("after"), let colon = after.firstIndex(of: ":"),
                let afterVersion = Int64(after[..<colon]), let sinceText = attribute("since")
            else { return nil }
            if sinceText.isEmpty {
                since = nil
            } else {
                guard let version = Int64(sinceText) else { return nil }
                since = version
            }
            self.upTo = upTo
            self.afterVersion = afterVersion
            self.afterID = String(after[after.index(after: colon)...])
            self.page = page
        }
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

    /// The version a token stands for, or nil when it is malformed, older than 7 days, issued
    /// before the change history began (an emulator restarted in memory or reset), or for a
    /// version not reached yet.
    static func version(of token: String, history: ChangeHistory, current: Int64, now: Date = Date()) -> Int64? {
        let parts = token.split(separator: "!", maxSplits: 1)
        guard parts.count == 2, let version = Int64(parts[0]) else { return nil }
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "MM/dd/yyyy HH:mm:ss"
        guard let issued = parser.date(from: String(parts[1])), now.timeIntervalSince(issued) < tokenLifetime,
            issued.timeIntervalSince1970 >= history.since.timeIntervalSince1970.rounded(.down),
            version >= history.firstVersion, version <= current
        else { return nil }
        return version
    }
}
