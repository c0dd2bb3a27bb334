import Foundation

/// Decides what an attempt's outcome means for the message.
public enum OutcomeClassifier {
    public enum Verdict: Sendable, Hashable {
        case delivered
        /// Retry later; `notBefore` from `Retry-After`, epoch ms.
        case retryable(notBefore: Int64?)
        case permanent
    }

    /// 2xx delivered; 408, 425, 429, 5xx, timeouts and connection errors retryable; other 4xx, a
    /// message the connector could not build a request from, an answer the connector knows is
    /// permanent (`refused`) and anything else permanent.
    public static func classify(_ outcome: TransportOutcome, now: Int64) -> Verdict {
        switch outcome {
        case .timeout, .connectionFailed:
            return .retryable(notBefore: nil)
        case .unsendable, .refused:
            return .permanent
        case .transient(_, let retryAfter, _):
            return .retryable(notBefore: retryAfter.flatMap { RetryAfter.deadline($0, now: now) })
        case .response(let status, let retryAfter, _):
            switch status {
            case 200..<300: return .delivered
            case 408, 425, 429, 500..<600: return .retryable(notBefore: retryAfter.flatMap { RetryAfter.deadline($0, now: now) })
            default: return .permanent
            }
        }
    }
}

/// Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// The longest wait a `Retry-After` in seconds can ask for: a day. A target asking longer (or
    /// for an infinite or absurd number of seconds) is waited for a day, never trusted into an
    /// overflow. An HTTP-date is kept as written: its years (at most 9999) fit.
    public static let longest: Int64 = 86_400_000

    /// The deadline in epoch ms, or nil when the header cannot be read.
    public static func deadline(_ value: String, now: Int64) -> Int64? {
        let text = value.trimmingCharacters(in: .whitespaces)
        // NaN fails `>= 0`; infinity and anything past a day become a day.
        if let seconds = Double(text), seconds >= 0 { return now + Int64(min(seconds * 1000, Double(longest))) }
        return httpDate(text).map { max(now, $0) }
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, in epoch ms. The obsolete formats are not accepted.
    /// Nil unless each field is digits in its range (a year of four digits, a day of 1 to 31, an
    /// hour, minute and second of the clock): a year or an hour of twenty digits cannot be read,
    /// rather than overflow the arithmetic (fuzz target `retryafter`).
    static func httpDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = number(parts[1], digits: 1...2, in: 1...31),
            let monthIndex = months.firstIndex(of: String(parts[2])), let year = number(parts[3], digits: 4...4, in: 0...9999)
        else { return nil }
        let time = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard time.count == 3, let hour = number(time[0], digits: 1...2, in: 0...23), let minute = number(time[1], digits: 1...2, in: 0...59),
            let second = number(time[2], digits: 1...2, in: 0...60)
        else { return nil }
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return (days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * 1000
    }

    /// The value of `text` when it is only ASCII digits, as many as `digits` allows, and in `range`.
    private static func number(_ text: Substring, digits: ClosedRange<Int>, in range: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.utf8.count), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int(text), range.contains(value)
        else { return nil }
        return value
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
