import Foundation

/// The date form Microsoft's older JSON serializers write, `/Date(1506409448000)/` or with an
/// offset, `/Date(1506409448000-0700)/` (milliseconds since 1970 in UTC either way), as
/// Dataverse webhooks and Finance & Operations business events carry them.
public enum MicrosoftJSONDate {
    /// The ISO 8601 time of `text` (`2017-09-26T06:44:08Z`), or nil when it is not that form.
    public static func iso8601(_ text: String) -> String? {
        guard text.hasPrefix("/Date("), text.hasSuffix(")/") else { return nil }
        var inner = text.dropFirst(6).dropLast(2)
        let sign = inner.first == "-" ? "-" : ""
        if !sign.isEmpty { inner = inner.dropFirst() }
        guard let millis = Int64(sign + inner.prefix { $0.isNumber }), abs(millis) < 253_402_300_800_000 else { return nil }
        return Date(timeIntervalSince1970: Double(millis) / 1000).formatted(Date.ISO8601FormatStyle())
    }
}
