import SwitchboardTesting

/// The workspace the tests of the hub's door use: one integration taking unauthenticated webhooks
/// at `/hooks/orders` and sending them to a target nobody listens on (`127.0.0.1:1`), so every
/// message stays in the store for the test to look at.
enum DoorWorkspace {
    /// - Parameters:
    ///   - landscape: More top-level `switchboard.yaml` lines, such as `server: { ... }`.
    ///   - delivery: The body of the integration's `delivery: { ... }`; nil: the defaults.
    static func write(to directory: TemporaryDirectory, landscape: String = "", delivery: String? = nil) throws {
        var fixture = WorkspaceFixture()
        fixture.systems = [
            WorkspaceFixture.system("shop", kind: "http"),
            WorkspaceFixture.system("erp", kind: "http", location: "on-premises", connection: [#"base_url: "http://127.0.0.1:1""#]),
        ]
        fixture.landscapeExtra = landscape
        fixture.integrations["orders"] = WorkspaceFixture.integration(
            "orders", title: "Orders", source: WorkspaceFixture.webhook(system: "shop", path: "/hooks/orders"),
            target: #"{ system: erp, http: { method: POST, path: "/orders" } }"#, delivery: delivery)
        try fixture.write(to: directory)
    }
}
