import DataverseEmulatorCore

extension FuzzTarget {
    /// The key of a record URL (`RecordKey.parse`: a GUID, `accountnumber='A-1'`, several parts),
    /// written back as `urlText` and read again, and sent as `GET accounts(KEY)`, which matches
    /// it against the table's keys and coerces each literal to its column's type. The input also
    /// follows `GET EntityDefinitions(` as it is, so it holds the closing parenthesis and any path
    /// below a table's definition (`LogicalName='account')/Attributes/...`).
    static let key = FuzzTarget(
        name: "key", summary: "RecordKey.parse, urlText, GET accounts(KEY) and EntityDefinitions(KEY)", maxLength: 512
    ) { bytes in
        let text = FuzzInput.text(bytes)
        if let key = RecordKey.parse(text) {
            _ = RecordKey.parse(key.urlText)
        }
        EmulatorFixture.send(EmulatorFixture.readOnly, "GET", "accounts(\(text))")
        EmulatorFixture.send(EmulatorFixture.readOnly, "GET", "EntityDefinitions(\(text)")
    }
}
