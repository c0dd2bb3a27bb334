import Foundation

/// One item of `$expand`: a navigation property and the `$select` inside its parentheses,
/// `Attributes($select=LogicalName,AttributeType)`.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api
struct ExpandItem: Sendable, Hashable {
    var name: String
    var select: [String]?

    /// The items of `text`, split at the commas outside parentheses. Options inside the
    /// parentheses other than `$select` are refused, as is anything that is not a name followed
    /// by optional parentheses.
    static func parse(_ text: String) throws(DataverseError) -> [ExpandItem] {
        var items: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1
            case ")":
                depth -= 1
                guard depth >= 0 else { throw DataverseError.badRequest("The $expand '\(text.prefix(200))' has a ')' without its '('.") }
            case "," where depth == 0:
                items.append(current)
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        guard depth == 0 else { throw DataverseError.badRequest("The $expand '\(text.prefix(200))' has a '(' without its ')'.") }
        items.append(current)
        return try items.map { raw throws(DataverseError) in
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard let open = item.firstIndex(of: "(") else {
                guard !item.isEmpty, item.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw DataverseError.badRequest("The $expand item '\(item.prefix(100))' is not a navigation property.")
                }
                return ExpandItem(name: item, select: nil)
            }
            let name = String(item[..<open])
            guard item.hasSuffix(")") else { throw DataverseError.badRequest("The $expand item '\(item.prefix(100))' has text after its ')'.") }
            var select: [String]?
            for option in item[item.index(after: open)..<item.index(before: item.endIndex)].split(separator: ";") {
                let parts = option.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0] == "$select" else {
                    throw DataverseError.badRequest("The option '\(option.prefix(100))' inside $expand of \(name) is not supported; use $select.")
                }
                select = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            return ExpandItem(name: name, select: select)
        }
    }
}
