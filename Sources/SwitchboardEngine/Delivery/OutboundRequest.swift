/// An HTTP request the engine asks a connector to send. The body is JSON bytes.
public struct OutboundRequest: Sendable, Hashable {
    public var method: String
    /// Absolute URL: the system's base URL and the rendered path.
    public var url: String
    /// The rendered path alone, as `switchboard test` compares it.
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The target system's id, so a connector per system (Dataverse's, with its sign-in) sends it.
    public var system: String

    public init(method: String, url: String, path: String, headers: [(String, String)], body: [UInt8], system: String = "") {
        self.method = method
        self.url = url
        self.path = path
        self.headers = headers
        self.body = body
        self.system = system
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body && lhs.headers.elementsEqual(rhs.headers, by: ==)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(url)
        hasher.combine(body)
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// What came back from one attempt, before the engine classifies it.
public enum TransportOutcome: Sendable, Hashable {
    /// The target answered. `retryAfter` is the raw `Retry-After` header, when present.
    case response(status: Int, retryAfter: String?, body: String)
    /// No answer in time.
    case timeout
    /// No connection, or it broke: the target may never have seen the request.
    case connectionFailed(String)
    /// The target answered with an error its connector knows passes (a race, a busy server, a
    /// deadlock), whatever the status says: retried like a 5xx.
    case transient(status: Int, retryAfter: String?, body: String)
}

/// Sends outbound requests. Connectors implement it; retries, budgets and classification wrap it
/// in the engine, so a connector does one attempt and reports what happened.
public protocol Connector: Sendable {
    func send(_ request: OutboundRequest, timeout: Duration) async -> TransportOutcome

    /// True when this connector takes the system's budget itself, once per HTTP request it sends
    /// (one for a whole batch of writes), and reports to it what the answers say. The dispatcher
    /// then takes no permit per message for that system. Default false.
    func governsBudget(of system: String) -> Bool
}

extension Connector {
    public func governsBudget(of system: String) -> Bool { false }
}
