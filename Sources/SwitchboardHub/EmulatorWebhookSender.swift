import DataverseEmulatorCore
import SwitchboardConnectors
import SwitchboardEngine

/// Posts the Dataverse emulator's webhooks through the hub's HTTP connector.
public final class EmulatorWebhookSender: WebhookSender {
    private let connector: HTTPConnector

    /// Makes a sender with its own connector; call `shutdown()` when done.
    public init() {
        connector = HTTPConnector(maxConnectionsPerHost: 8)
    }

    public func shutdown() async throws {
        try await connector.shutdown()
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> (status: Int?, error: String?) {
        switch await connector.send(OutboundRequest(method: "POST", url: url, path: "", headers: headers, body: body), timeout: timeout) {
        case .response(let status, _, _), .transient(let status, _, _), .refused(let status, _): return (status, nil)
        case .timeout: return (nil, "no answer within \(timeout)")
        case .connectionFailed(let reason), .unsendable(let reason): return (nil, reason)
        }
    }
}
