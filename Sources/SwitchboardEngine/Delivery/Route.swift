import SwitchboardModel

/// An integration made ready to run: its steps compiled, its target rendered against the active
/// environment's connection.
public struct Route: Sendable {
    public let integration: Integration
    public let pipeline: Pipeline
    public let renderer: TargetRenderer
    public var id: String { integration.id }
    public var targetSystem: String { integration.target.system }
    public var policy: DeliveryPolicy { integration.delivery }
    /// Messages of this integration in flight at once: `delivery.concurrency`, or its default
    /// (16; for a Dataverse target writing in batches, `batch_size` × 8 so that batches fill).
    public let concurrency: Int

    public init(integration: Integration, connection: Connection?) {
        self.integration = integration
        self.pipeline = Pipeline(integration.steps)
        let batchSize = connection?.dataverse?.batchSize ?? 1
        concurrency = integration.delivery.concurrency ?? (batchSize > 1 ? batchSize * 8 : 16)
        switch integration.target.write {
        case .http(let template):
            renderer = .http(RequestRenderer(template: template, baseURL: connection?.baseURL ?? "", connectionHeaders: connection?.headers ?? [:]))
        case .dataverse(let write):
            renderer = .dataverse(DataverseRenderer(write: write, environmentURL: connection?.baseURL ?? ""))
        }
    }

    /// What the hub would do with this input: the request it would send, or why it would drop it.
    public enum Preview: Sendable {
        case request(OutboundRequest)
        case filtered(reason: String)
    }

    public func preview(_ document: JSONValue, messageID: String = "test") throws(StepError) -> Preview {
        switch try pipeline.run(document) {
        case .drop(let reason): return .filtered(reason: reason)
        case .next(let output):
            var request = try renderer.render(output, messageID: messageID)
            request.system = targetSystem
            return .request(request)
        }
    }
}
