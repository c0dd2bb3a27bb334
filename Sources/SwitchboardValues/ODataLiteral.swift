/// Values written into OData URLs: key literals (`'O''Brien'`, `42`, a bare GUID) and record
/// references (`/accounts(accountnumber='A-1')`), built so that no value from a message can change
/// what the URL addresses.
///
/// A quote in text is doubled and every byte outside RFC 3986's unreserved set is percent-encoded,
/// so `'`, `)`, `,`, `/`, `?` and `#` from a message stay inside the literal.
/// https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html (section 4.3.1, key-as-segment aside)
public enum ODataLiteral {
    /// The type a key column's literal takes.
    public enum Kind: Sendable, Hashable {
        /// Quoted text, whatever the value looks like (`'1001'`, `'5f2b…'`).
        case text
        /// A bare GUID; anything else is refused.
        case guid
        /// Bare digits; anything else is refused.
        case integer
        /// A bare decimal number.
        case decimal
        /// `true` or `false`.
        case boolean
        /// A bare ISO 8601 date and time (`2026-01-31T10:00:00Z`).
        case dateTime
    }

    /// Why a value cannot be a literal of a kind, as the end of a sentence (`is not a GUID`).
    public struct Refusal: Error, Sendable, Hashable {
        public let reason: String
    }

    /// `value` as a literal of `kind`; with no kind known, text is quoted and numbers and booleans
    /// are bare.
    public static func literal(_ value: JSONValue, as kind: Kind?) throws(Refusal) -> String {
        let text = value.text
        switch kind {
        case .text: return quoted(text)
        case .guid:
            guard isGUID(text) else { throw Refusal(reason: "'\(text.prefix(60))' is not a GUID") }
            return text.lowercased()
        case .integer:
            guard text.wholeMatch(of: /-?[0-9]+/) != nil else { throw Refusal(reason: "'\(text.prefix(60))' is not a whole number") }
            return text
        case .decimal:
            guard text.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/) != nil else {
                throw Refusal(reason: "'\(text.prefix(60))' is not a number")
            }
            return text
        case .boolean:
            guard text == "true" || text == "false" else { throw Refusal(reason: "'\(text.prefix(60))' is not true or false") }
            return text
        case .dateTime:
            guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[-+][0-9]{2}:[0-9]{2})?)?/) != nil else {
                throw Refusal(reason: "'\(text.prefix(60))' is not an ISO 8601 date")
            }
            return text.percentEncoded
        case nil:
            switch value {
            case .int, .largeInteger, .double, .bool: return text
            case .null: throw Refusal(reason: "null cannot be a key")
            case .array, .object: throw Refusal(reason: "\(value.kindName) cannot be a key")
            case .string: return quoted(text)
            }
        }
    }

    /// `'text'` with each quote doubled and everything else but unreserved characters
    /// percent-encoded (a quote may stand in a URL's path as it is, and stays readable).
    public static func quoted(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).map { String($0).percentEncoded }.joined(separator: "''") + "'"
    }

    /// A record reference for `@odata.bind`: `/accounts(5f2b…)` for the primary id alone (column
    /// nil), `/accounts(accountnumber='A-1')` or several parts for an alternate key.
    public static func reference(entitySet: String, key: [(column: String?, literal: String)]) -> String {
        let parts = key.map { part in part.column.map { "\($0)=\(part.literal)" } ?? part.literal }
        return "/\(entitySet)(\(parts.joined(separator: ",")))"
    }

    /// Whether `text` is a GUID in its 8-4-4-4-12 form, in ASCII hex digits only (a full-width
    /// digit is a character `isHexDigit` accepts, and no GUID).
    public static func isGUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20) else {
                    return false
                }
            }
        }
        return true
    }
}

extension JSONValue {
    /// What the value is, in words a sentence can use: `an object`, `an array`, `a string`, `null`.
    public var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .null: "null"
        case .bool: "a boolean"
        case .int, .largeInteger, .double: "a number"
        }
    }
}
