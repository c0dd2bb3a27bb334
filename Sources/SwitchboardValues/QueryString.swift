import Foundation

/// A URL's query (`a=1&b=x%20y`) as name and value pairs in order, percent-decoded, `+` read as
/// a space (as HTML forms and Python's requests send it; a literal plus arrives as `%2B`).
public enum QueryString {
    public static func parse(_ query: String?) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        func decode(_ text: Substring) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}
