import Foundation

/// The `Prefer` header's values the Web API honours.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
struct Preferences: Sendable, Hashable {
    var returnRepresentation = false
    var maxPageSize: Int?
    var trackChanges = false
    var continueOnError = false
    /// Annotation patterns from `odata.include-annotations` (`*`, `Microsoft.Dynamics.CRM.*`, exact names).
    var annotations: [String] = []

    init(_ header: String?) {
        guard let header else { return }
        for part in Self.split(header) {
            let item = part.trimmingCharacters(in: .whitespaces)
            let (name, value) =
                item.firstIndex(of: "=").map {
                    (
                        String(item[..<$0]).trimmingCharacters(in: .whitespaces),
                        String(item[item.index(after: $0)...]).trimmingCharacters(in: .whitespaces)
                    )
                } ?? (item, "")
            switch name.lowercased() {
            case "return": returnRepresentation = value == "representation"
            case "odata.maxpagesize": maxPageSize = Int(value)
            case "odata.track-changes": trackChanges = true
            case "odata.continue-on-error": continueOnError = true
            case "odata.include-annotations":
                annotations = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            default: continue
            }
        }
    }

    /// Whether the client asked for `annotation` (for example `OData.Community.Display.V1.FormattedValue`).
    func wants(_ annotation: String) -> Bool {
        annotations.contains { pattern in
            pattern == "*" || pattern == annotation || (pattern.hasSuffix(".*") && annotation.hasPrefix(String(pattern.dropLast())))
        }
    }

    /// Splits on commas outside double quotes (`odata.include-annotations="a,b"` is one preference).
    private static func split(_ header: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for character in header {
            if character == "\"" { quoted.toggle() }
            if character == ",", !quoted { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        return parts
    }
}
