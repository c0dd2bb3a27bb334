/// A step as written in an integration file. The engine compiles each into a pure function of the message.
public enum StepDefinition: Sendable {
    /// Builds a new document: each output field (a dotted path) gets the value of an expression.
    case map([(field: String, value: MapExpression)])
    /// Keeps the message when the condition holds; otherwise it is recorded as filtered.
    case filter(Condition)
}

/// The value of one output field of a `map` step.
///
/// In YAML: a text starting with `$` copies from a path; any other scalar is a constant; a mapping
/// names one function: `copy` (with `default`), `const`, `concat`, `lower`, `upper`, `date`
/// (with `format`), `lookup` (with `table` and `default`), `odata_literal`, `odata_bind` (with
/// `key` or `id`).
public indirect enum MapExpression: Sendable, Hashable {
    case path(JSONPath)
    case constant(JSONValue)
    case withDefault(MapExpression, JSONValue)
    case concat([MapExpression])
    case lower(MapExpression)
    case upper(MapExpression)
    case date(MapExpression, format: DateFormat)
    case lookup(MapExpression, table: [String: JSONValue], fallback: JSONValue?)
    /// The value as an OData key literal: text in quotes with each quote doubled and
    /// percent-encoded (`'O''Brien'`), numbers and booleans bare.
    case odataLiteral(MapExpression)
    /// A record reference for `column@odata.bind`: `/accounts(accountnumber='A-1')` by an
    /// alternate key, `/accounts(5f2b…)` by the primary id (a part with no column, which must be a GUID).
    case odataBind(entitySet: String, key: [ODataKeyPart])
}

/// One part of an `odata_bind` key: a column and its value, or the primary id alone (column nil).
public struct ODataKeyPart: Sendable, Hashable {
    public var column: String?
    public var value: MapExpression

    public init(column: String?, value: MapExpression) {
        self.column = column
        self.value = value
    }
}

/// Output formats of the `date` function. Input may be ISO 8601 text or epoch milliseconds.
public enum DateFormat: String, Sendable, CaseIterable {
    /// `2026-11-26T10:15:00Z`
    case iso8601
    /// `2026-11-26`
    case date
    /// Whole seconds since 1970.
    case epochSeconds = "epoch_seconds"
    /// Milliseconds since 1970.
    case epochMillis = "epoch_millis"
}

/// A condition of a `filter` step.
///
/// In YAML: `{ path: $.status, equals: paid }` with one of `equals`, `not_equals`, `in`, `exists`,
/// `greater_than`, `less_than`; or `{ all: [...] }`, `{ any: [...] }`, `{ not: {...} }`.
public indirect enum Condition: Sendable, Hashable {
    public enum Comparison: Sendable, Hashable {
        case equals(JSONValue)
        case notEquals(JSONValue)
        case oneOf([JSONValue])
        case exists(Bool)
        case greaterThan(Double)
        case lessThan(Double)
    }

    case compare(JSONPath, Comparison)
    case all([Condition])
    case any([Condition])
    case not(Condition)
}

/// A test written inside an integration file: an input message and what should come out.
public struct IntegrationTestCase: Sendable {
    public enum Expectation: Sendable {
        /// The outbound request; fields left out are not compared.
        case request(method: String?, path: String?, headers: [String: String], body: JSONValue?)
        case filtered
    }

    public var name: String
    public var input: JSONValue
    public var headers: [String: String]
    public var expectation: Expectation
    public var location: SourceLocation
}
