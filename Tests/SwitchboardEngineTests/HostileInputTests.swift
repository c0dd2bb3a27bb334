import Foundation
import SwitchboardTesting
import Testing

@testable import SwitchboardEngine
@testable import SwitchboardModel

/// Input that used to trap (issue 13's crashes): each now gets a sentence, and nothing crashes.
@Suite("Hostile input gets an answer, never a crash")
struct HostileInputTests {
    @Test("a date step given 1e19 (or NaN text, or year 10000) fails the message with a sentence instead of trapping")
    func hugeEpochNumber() throws {
        let pipeline = Pipeline([.map([("created", .date(.path(JSONPath("$.created_at")!), format: .iso8601))])])
        for value: JSONValue in [.double(1e19), .double(-1e300), .string("9223372036854775807999"), .int(253_402_300_800_000)] {
            #expect(throws: StepError.self) { try pipeline.run(.object(["created_at": value])) }
        }
        do {
            _ = try pipeline.run(.object(["created_at": .double(1e19)]))
        } catch {
            #expect(error.message == "date cannot read '1e+19'; expected ISO 8601 text or epoch milliseconds of a year from 1 to 9999")
        }
        #expect(try pipeline.run(.object(["created_at": .double(1_764_000_000_000)])) == .next(.object(["created": .string("2025-11-24T16:00:00Z")])))
    }

    @Test("durations that are infinite, not a number, negative or past 100 years are refused, not converted")
    func durations() {
        for text in ["inf", "infs", "nan", "-1s", "9223372036854775807", "1e300d", "1e20ms", "101y", ""] {
            #expect(Duration.parse(text) == nil, "\(text)")
        }
        #expect(Duration.parse("30s") == .seconds(30))
        #expect(Duration.parse("36500d") == .seconds(36_500 * 86_400))
        #expect(Duration.parse("36501d") == nil)
    }

    @Test("a target's Retry-After of 1e300 or inf seconds waits a day at most instead of trapping; NaN is ignored; a date in year 9999 is kept")
    func hugeRetryAfter() {
        let aDayLater: Int64 = 1_000 + 86_400_000
        #expect(RetryAfter.deadline("1e300", now: 1_000) == aDayLater)
        #expect(RetryAfter.deadline("inf", now: 1_000) == aDayLater)
        #expect(RetryAfter.deadline("nan", now: 1_000) == nil)
        #expect(RetryAfter.deadline("Fri, 31 Dec 9999 23:59:59 GMT", now: 1_000) == 253_402_300_799_000)
        #expect(RetryAfter.deadline("7", now: 1_000) == 8_000)
        #expect(OutcomeClassifier.classify(.response(status: 429, retryAfter: "1e300", body: ""), now: 0) == .retryable(notBefore: 86_400_000))
        // Found by the retryafter fuzz target: fields of an HTTP-date out of range overflowed the arithmetic.
        for date in [
            "Sun, 06 Nov +20049666668 0:`:49:37 GMT", "Sun, 06 Nov 1994 99999999999999999:49:37 GMT", "Sun, 06 Nov 1994 08:49:37:01 GMT",
            "Sun, 99 Nov 1994 08:49:37 GMT",
        ] {
            #expect(RetryAfter.deadline(date, now: 1_000) == nil, "\(date)")
        }
    }
}
