import SwitchboardModel

/// `kind: postgres`: a PostgreSQL database in the landscape. Declared for the catalog, `check`,
/// `plan` and `impact`; the hub does not read or write it yet.
public struct PostgresKind: ConnectorKind {
    public init() {}

    public let spec = ConnectorSpec(
        kind: "postgres", title: "PostgreSQL",
        summary: "A PostgreSQL database: declared in the landscape; no connector yet.",
        description:
            "A system of this kind appears in the catalog, the landscape diagram and the review; integrations cannot yet read from it or deliver to it.",
        usualLocation: .onPremises)
}
