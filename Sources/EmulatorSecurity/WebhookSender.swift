/// Sends a webhook's POST (Dataverse webhooks, Finance & Operations business events); an emulator sees outbound HTTP only through this protocol (the
/// command-line tool gives it one built on the hub's HTTP connector).
public protocol WebhookSender: Sendable {
    /// POSTs `body` to `url`; returns the status, or nil with the reason the receiver was not reached.
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> (status: Int?, error: String?)
}
