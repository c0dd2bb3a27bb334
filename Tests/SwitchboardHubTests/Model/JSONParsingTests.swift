import Foundation
import Testing

@testable import SwitchboardModel
@testable import SwitchboardValues

@Suite("JSON reading and writing")
struct JSONParsingTests {
    @Test("values of every kind parse, keep integers apart from fractions, and round-trip")
    func roundTrip() throws {
        let text =
            #"{"a": [1, -2, 3.5, 1e3, -0.25E-2], "b": {"c": null, "d": true, "e": false}, "s": "quote \" slash \\ \/ tab \t é \u00e9 \ud83d\ude00", "n": 9223372036854775807}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["a"] == .array([.int(1), .int(-2), .double(3.5), .double(1000), .double(-0.0025)]))
        #expect(value["b"] == .object(["c": .null, "d": .bool(true), "e": .bool(false)]))
        #expect(value["s"] == .string("quote \" slash \\ / tab \t é é 😀"))
        #expect(value["n"] == .int(Int64.max))
        #expect(try JSONValue(parsing: value.serialized()) == value)
        // Foundation reads what this writes.
        #expect(try JSONSerialization.jsonObject(with: Data(value.serialized())) is [String: Any])
        #expect(JSONValue.object(["b": .int(1), "a": .string("x\n")]).jsonString == #"{"a":"x\n","b":1}"#)
    }

    @Test("integers of any size keep every digit; fractions beyond a Double's range are refused")
    func numberRange() throws {
        // 2^53 + 1 and 2^64 + 1: a Double would round both.
        let text = #"{"a": 9007199254740993, "b": 18446744073709551617, "c": -123456789012345678901234567890, "d": 1e-400}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["a"] == .int(9_007_199_254_740_993))
        #expect(value["b"] == .largeInteger("18446744073709551617"))
        #expect(value["c"]?.text == "-123456789012345678901234567890")
        #expect(value["d"] == .double(0))
        #expect(value.jsonString == #"{"a":9007199254740993,"b":18446744073709551617,"c":-123456789012345678901234567890,"d":0.0}"#)
        #expect(try JSONValue(parsing: value.serialized()) == value)
        for (text, reason) in [
            (#"{"x": 1e400}"#, "number 1e400 is out of range (beyond ±1.8e308) at byte 6"),
            (#"[-2.5E+999]"#, "number -2.5E+999 is out of range (beyond ±1.8e308) at byte 1"),
        ] {
            do {
                _ = try JSONValue(parsing: Array(text.utf8))
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.description == reason)
            }
        }
        // In YAML (a test's input, a constant), a plain integer of 30 digits stays exact too.
        let yaml = YAMLValue.document("n: 123456789012345678901234567890", file: "t.yaml", sink: DiagnosticSink())
        #expect(yaml?.json()["n"] == .largeInteger("123456789012345678901234567890"))
    }

    @Test("invalid JSON is refused with the reason and the byte offset")
    func invalid() {
        let cases: [(String, String)] = [
            (#"{"a": 1"#, "unexpected end of input at byte 7"),
            (#"{"a" 1}"#, "expected ':' after a key at byte 5"),
            (#"[1, 2,]"#, "unexpected character ']' at byte 6"),
            (#"{"a": 01}"#, "expected ',' or '}' at byte 7"),
            (#"tru"#, "unexpected end of input at byte 0"),
            (#""abc"#, "unterminated string at byte 4"),
            (#"{} x"#, "unexpected text after the value at byte 3"),
            ("", "unexpected end of input at byte 0"),
            (String(repeating: "[", count: 600), "nesting deeper than 512 at byte 512"),
        ]
        for (text, reason) in cases {
            #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: Array(text.utf8)) }
            do {
                _ = try JSONValue(parsing: Array(text.utf8))
            } catch {
                #expect(error.description == reason, "\(text.prefix(20))")
            }
        }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
        // A byte that is not printable ASCII is named by its hex value, not shown as a Latin-1 letter.
        for (bytes, reason) in [([0xE9] as [UInt8], "unexpected byte 0xE9 at byte 0"), ([0x5B, 0x00], "unexpected byte 0x00 at byte 1")] {
            do {
                _ = try JSONValue(parsing: bytes)
                Issue.record("\(bytes) parsed")
            } catch {
                #expect(error.description == reason)
            }
        }
    }
}
