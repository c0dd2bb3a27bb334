import DataverseEmulatorCore
import ODataFilter
import SwitchboardValues

extension FuzzTarget {
    /// The OData `$filter` parser (`FilterParser.parse`), its evaluation against a record, and a
    /// whole collection query: the input read as a query string (`$filter=...&$expand=...`) and
    /// sent as `GET accounts`, which parses `$select`, `$filter` (navigation paths included),
    /// `$expand`, `$orderby`, `$top` and `$skiptoken` and runs them over the seeded records, and as
    /// `GET EntityDefinitions`, the metadata query clients send at start-up.
    static let filter = FuzzTarget(
        name: "filter", summary: "FilterParser.parse and evaluation; a query string to GET accounts and EntityDefinitions", maxLength: 8_192
    ) { bytes in
        let text = FuzzInput.text(bytes)
        if let expression = try? FilterParser.parse(text) {
            _ = expression.properties
            let record: [String: JSONValue] = [
                "name": .string("Contoso"), "revenue": .double(1000.5), "numberofemployees": .int(42), "creditonhold": .bool(false),
                "createdon": .string("2026-01-31T10:00:00Z"), "accountnumber": .largeInteger("123456789012345678901234567890"),
            ]
            _ = expression.matches { record[$0] ?? .null }
        }
        let query = WebAPIRequest.parseQuery(text)
        EmulatorFixture.send(EmulatorFixture.readOnly, "GET", "accounts", query: query)
        EmulatorFixture.send(EmulatorFixture.readOnly, "GET", "EntityDefinitions", query: query)
    }
}
