/// The connector kinds a build knows, by name. The workspace reader and the governance commands
/// take it and keep no kind list of their own; `SwitchboardConnectors` defines the standard one
/// (`ConnectorRegistry.standard`), a line per kind.
public struct ConnectorRegistry: Sendable {
    package let kinds: [any ConnectorKind]

    package init(_ kinds: [any ConnectorKind]) {
        self.kinds = kinds
    }

    package func kind(_ name: String) -> (any ConnectorKind)? { kinds.first { $0.spec.kind == name } }

    /// Every kind's spec, in registration order.
    public var specs: [ConnectorSpec] { kinds.map(\.spec) }

    /// The spec of one kind.
    public func spec(_ name: String) -> ConnectorSpec? { kind(name)?.spec }

    /// Kinds that can be targets, for messages: `http and dataverse`.
    var targetKindsInWords: String {
        let names = kinds.filter(\.spec.canBeTarget).map(\.spec.kind)
        guard names.count > 1 else { return names.first ?? "no" }
        return names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// Webhook formats: `json`, then each kind's.
    public var webhookFormats: [String] { ["json"] + kinds.flatMap { $0.spec.webhookFormats.map(\.name) } }

    /// The kind that offers a webhook format; nil for `json` and unknown names.
    package func kind(offeringWebhookFormat name: String) -> (any ConnectorKind)? {
        kinds.first { $0.spec.webhookFormats.contains { $0.name == name } }
    }

    /// The spec of a webhook format a kind offers; nil for `json` and unknown names.
    public func webhookFormat(_ name: String) -> WebhookFormatSpec? {
        kind(offeringWebhookFormat: name)?.spec.webhookFormats.first { $0.name == name }
    }

    /// The kind of a system of the landscape.
    package func kind(of system: SystemDefinition?) -> (any ConnectorKind)? { system.flatMap { kind($0.kind) } }
}
