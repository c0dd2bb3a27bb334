import Foundation
import SwitchboardValues

/// What a service's `$filter` accepts beyond the common comparisons, and how it compares.
package struct FilterDialect: Sendable {
    /// `contains(…)`, `startswith(…)` and `endswith(…)` as functions (Dataverse); otherwise a
    /// function is refused with `refusedFunction`.
    package var functions: Bool
    /// The refusal of a function the dialect does not take, as a sentence.
    package var refusedFunction: @Sendable (String) -> String
    /// Operators refused with a sentence of their own (Finance & Operations: `in`, `has`).
    package var refusedOperators: [String: String]
    /// Enum literals written `Namespace.Type'Member'` (Finance & Operations).
    package var enumNamespace: String?
    /// `eq '*text*'` as a wildcard match (Finance & Operations' form of contains).
    package var wildcards: Bool
    /// A bare word the dialect reads as a value beyond numbers, `true`, `false` and `null`
    /// (Dataverse: GUIDs and dates); nil when it is none.
    package var unquoted: @Sendable (String) -> JSONValue?
    /// Text that compares as a date and time.
    package var parseDate: @Sendable (String) -> Date?

    package init(
        functions: Bool, refusedFunction: @escaping @Sendable (String) -> String = { "The function '\($0)' is not supported." },
        refusedOperators: [String: String] = [:], enumNamespace: String? = nil, wildcards: Bool = false,
        unquoted: @escaping @Sendable (String) -> JSONValue? = { _ in nil }, parseDate: @escaping @Sendable (String) -> Date?
    ) {
        self.functions = functions
        self.refusedFunction = refusedFunction
        self.refusedOperators = refusedOperators
        self.enumNamespace = enumNamespace
        self.wildcards = wildcards
        self.unquoted = unquoted
        self.parseDate = parseDate
    }
}

/// A `$filter` the dialect cannot read, as one sentence naming the position.
package struct FilterSyntaxError: Error, Sendable, Hashable {
    package var message: String
    package init(message: String) { self.message = message }
}
