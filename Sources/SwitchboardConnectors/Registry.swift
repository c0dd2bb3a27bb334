import SwitchboardModel

extension ConnectorRegistry {
    /// Every connector kind of this build, a line each. Adding a kind adds its folder and a line here.
    public static let standard = ConnectorRegistry([
        HTTPKind(),
        DataverseKind(),
        FinanceOperationsKind(),
        PostgresKind(),
        SQLiteKind(),
        FilesKind(),
    ])
}
