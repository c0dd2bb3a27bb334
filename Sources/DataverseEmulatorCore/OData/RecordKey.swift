import Foundation

/// The key in a record URL: `accounts(00000000-...)`, `accounts(accountid=...)`,
/// `accounts(accountnumber='A-1')` or several parts `contacts(firstname='Joe',emailaddress1='a@b.c')`.
///
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-alternate-key-reference-record
public enum RecordKey: Sendable, Hashable {
    case id(String)
    /// Property name (a logical name, or `_x_value` for a lookup) to the literal.
    case alternate([String: KeyLiteral])

    /// Parses what is inside the parentheses; nil when it is not a key at all.
    package static func parse(_ text: String) -> RecordKey? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let id = normalizedGUID(trimmed) { return .id(id) }
        var parts: [String: KeyLiteral] = [:]
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: equals)...].drop { $0 == " " }
            let value: KeyLiteral
            if rest.first == "'" {
                // A quoted literal; '' stands for one quote.
                var literal = ""
                var index = rest.index(after: rest.startIndex)
                var closed = false
                while index < rest.endIndex {
                    let character = rest[index]
                    if character == "'" {
                        let next = rest.index(after: index)
                        if next < rest.endIndex, rest[next] == "'" {
                            literal.append("'")
                            index = rest.index(after: next)
                            continue
                        }
                        closed = true
                        index = next
                        break
                    }
                    literal.append(character)
                    index = rest.index(after: index)
                }
                guard closed else { return nil }
                value = KeyLiteral(text: literal, quoted: true)
                rest = rest[index...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = KeyLiteral(text: rest[..<end].trimmingCharacters(in: .whitespaces), quoted: false)
                rest = rest[end...]
            }
            guard !name.isEmpty, parts[name] == nil else { return nil }
            parts[name] = value
            rest = rest.drop { $0 == " " }
            if rest.first == "," { rest = rest.dropFirst() } else if !rest.isEmpty { return nil }
        }
        return parts.isEmpty ? nil : .alternate(parts)
    }

    /// The GUID in lower case, or nil when `text` is not one.
    static func normalizedGUID(_ text: String) -> String? {
        UUID(uuidString: text).map { $0.uuidString.lowercased() }
    }

    /// The key as it appears in a URL, for `OData-EntityId`.
    package var urlText: String {
        switch self {
        case .id(let id): return id
        case .alternate(let parts):
            return parts.keys.sorted().map { name in "\(name)=\(parts[name]!.urlText)" }.joined(separator: ",")
        }
    }
}

/// One value in a key segment: `'A-1'` (quoted text) or `42` / a GUID (bare).
public struct KeyLiteral: Sendable, Hashable {
    public var text: String
    public var quoted: Bool

    var urlText: String { quoted ? "'\(text.replacingOccurrences(of: "'", with: "''"))'" : text }
}
