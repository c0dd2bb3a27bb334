import Foundation
import SwitchboardValues

/// A business event a committed write raised, before the emulator numbers and sends it.
public struct RaisedBusinessEvent: Sendable, Hashable {
    /// The event's id, its class name (`SalesInvoicePostedBusinessEvent`).
    public var id: String
    /// The company of the record that raised it; empty for a shared entity.
    public var legalEntity: String
    /// The event's own payload fields, dates written as the service writes them (`/Date(ms)/`).
    public var fields: [String: JSONValue]

    public init(id: String, legalEntity: String, fields: [String: JSONValue]) {
        self.id = id
        self.legalEntity = legalEntity
        self.fields = fields
    }

    /// The event `declaration` raises for `record` of `entity`.
    static func raised(_ declaration: EntityBusinessEvent, entity: EntityType, record: [String: JSONValue]) -> RaisedBusinessEvent {
        var fields: [String: JSONValue] = [:]
        for (payload, name) in declaration.fields {
            let value = record[name] ?? .null
            switch entity.field(name)?.type {
            case .date?, .dateTime?: fields[payload] = .string(BusinessEventPayload.microsoftDate(value.text))
            default: fields[payload] = value
            }
        }
        return RaisedBusinessEvent(id: declaration.id, legalEntity: record[EntitySchema.company]?.text ?? "", fields: fields)
    }
}

/// The payload Finance & Operations posts to a business event endpoint: one flat JSON object of
/// the base contract's fields beside the event's own (`BusinessEventId`, `BusinessEventLegalEntity`,
/// `ContextRecordSubject`, `ControlNumber`, `EventId`, `EventTime` as `/Date(ms)/`,
/// `EventTimeIso8601`, `InitiatingUserAADObjectId`, `MajorVersion`, `MinorVersion`,
/// `ParentContextRecordSubjects`), its keys in alphabetical order as captured from the service.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/business-events/home-page and the
/// captures in ../shared/reference/fno-facts.md (5.2).
public enum BusinessEventPayload {
    /// 1900-01-01, what the service writes for an empty date.
    public static let emptyDate = "/Date(-2208988800000)/"

    public static func make(
        _ event: RaisedBusinessEvent, controlNumber: Int64, eventID: String, initiatingUser: String, millis: Int64
    ) -> JSONValue {
        var payload = event.fields
        payload["BusinessEventId"] = .string(event.id)
        payload["BusinessEventLegalEntity"] = .string(event.legalEntity.uppercased())
        payload["ContextRecordSubject"] = .string("")
        payload["ControlNumber"] = .int(controlNumber)
        payload["EventId"] = .string(eventID.uppercased())
        payload["EventTime"] = .string("/Date(\(millis))/")
        payload["EventTimeIso8601"] = .string(Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))
        payload["InitiatingUserAADObjectId"] = .string("{\(initiatingUser.uppercased())}")
        payload["MajorVersion"] = .int(0)
        payload["MinorVersion"] = .int(0)
        payload["ParentContextRecordSubjects"] = .array([])
        return .object(payload)
    }

    /// `2026-01-31` or `2026-01-31T10:00:00Z` as `/Date(ms)/`; an empty or unreadable date as 1900-01-01.
    static func microsoftDate(_ text: String) -> String {
        let day = text.prefix(10)
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count >= 10 else { return emptyDate }
        var millis = Self.days(year: parts[0], month: parts[1], day: parts[2]) * 86_400_000
        if text.count > 11 {
            let time = text.dropFirst(11).prefix(8).split(separator: ":").compactMap { Int($0) }
            if time.count == 3 { millis += Int64(time[0] * 3_600 + time[1] * 60 + time[2]) * 1000 }
        }
        return "/Date(\(millis))/"
    }

    /// Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
    private static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
