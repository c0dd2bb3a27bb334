import Foundation
import SwitchboardModel

/// A connector kind's runtime: what makes its connector, its polled sources' feeds and its
/// webhook formats, and what `switchboard test` shows it would send. The hub builds everything
/// from these, by the name of each system's kind, and names no kind itself.
package protocol ConnectorRuntime: ConnectorKind {
    /// The connector that delivers to (and reads from) one system in the active environment.
    func makeConnector(_ context: ConnectorContext) throws(ConnectorSetupError) -> any Connector

    /// The feed of a polled source of this kind, read through the system's connector (the one
    /// `makeConnector` made), so reads share its sign-in and budget.
    func makeFeed(_ source: PolledSource, connector: any Connector) throws(ConnectorSetupError) -> any ChangeFeed

    /// The decoder of a webhook format this kind's spec offers.
    func webhookFormat(_ name: String) -> WebhookFormat?

    /// The request a delivery would be sent as, with no network, for `switchboard test`.
    func preview(_ delivery: Delivery, connection: Connection?) throws(StepError) -> OutboundRequest
}

extension ConnectorRuntime {
    package func makeFeed(_ source: PolledSource, connector: any Connector) throws(ConnectorSetupError) -> any ChangeFeed {
        throw ConnectorSetupError("\(spec.title) systems have no polled source '\(source.key)'")
    }

    package func webhookFormat(_ name: String) -> WebhookFormat? { nil }
}

extension ConnectorRegistry {
    /// The runtime of a kind; nil when the kind is only declared (a system that is documented in
    /// the landscape but that the hub does not talk to yet).
    package func runtime(_ kind: String) -> (any ConnectorRuntime)? { self.kind(kind) as? any ConnectorRuntime }

    /// The decoder of a webhook format, from the kind that offers it; nil for `json`.
    package func webhookDecoder(_ name: String) -> WebhookFormat? {
        (kind(offeringWebhookFormat: name) as? any ConnectorRuntime)?.webhookFormat(name)
    }
}

/// What a connector is made with.
public struct ConnectorContext: Sendable {
    public var system: SystemDefinition
    /// The system's connection in the active environment.
    public var connection: Connection
    /// The system's budget: the connector calls `metered` around every request it sends.
    public var budget: SystemBudget
    /// Connections worth keeping open: the concurrency of the integrations that use the system.
    public var maxConnections: Int
    /// The workspace folder, for relative file paths.
    public var root: URL

    public init(system: SystemDefinition, connection: Connection, budget: SystemBudget, maxConnections: Int, root: URL) {
        self.system = system
        self.connection = connection
        self.budget = budget
        self.maxConnections = maxConnections
        self.root = root
    }
}

/// A connector that cannot be made (an unreadable certificate file), in one sentence.
public struct ConnectorSetupError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A webhook payload format: turns what the caller posted into the document steps see.
public struct WebhookFormat: Sendable {
    /// The format's name, as written in `source.webhook.format`.
    public var name: String
    /// Throws `IngestError.invalidPayload` naming what is wrong; the message is then refused.
    public var decode: @Sendable (JSONValue) throws(IngestError) -> JSONValue
    /// Where the idempotency key is read when the integration names none.
    public var defaultIdempotencyKey: JSONPath?

    public init(name: String, defaultIdempotencyKey: JSONPath? = nil, decode: @escaping @Sendable (JSONValue) throws(IngestError) -> JSONValue) {
        self.name = name
        self.decode = decode
        self.defaultIdempotencyKey = defaultIdempotencyKey
    }
}
