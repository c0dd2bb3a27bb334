import SwitchboardModel

/// `kind: sqlite`: an SQLite database file in the landscape. Declared for the catalog, `check`,
/// `plan` and `impact`; the hub does not read or write it yet.
public struct SQLiteKind: ConnectorKind {
    public init() {}

    public let spec = ConnectorSpec(
        kind: "sqlite", title: "SQLite",
        summary: "An SQLite database file: declared in the landscape; no connector yet.",
        description:
            "A system of this kind appears in the catalog, the landscape diagram and the review; integrations cannot yet read from it or deliver to it.",
        usualLocation: .onPremises)
}
