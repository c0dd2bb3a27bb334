import SwitchboardEngine
import SwitchboardModel

/// An HTTP system's connection: where it is and the headers every request carries.
public struct HTTPConnectionSettings: ConnectionSettings {
    /// Base URL that target paths are appended to, for example `https://erp.example.com`.
    public var baseURL: String?
    /// Headers sent with every request; values may hold secret references, resolved for the active environment.
    public var headers: [String: String]
    /// How long establishing a connection may take before the attempt fails. Default 3 s.
    public var connectTimeout: Duration

    public init(baseURL: String?, headers: [String: String] = [:], connectTimeout: Duration = OutboundClient.defaultConnectTimeout) {
        self.baseURL = baseURL
        self.headers = headers
        self.connectTimeout = connectTimeout
    }

    public var address: String? { baseURL }
}

/// An outbound HTTP request built from the message: `{$.path}` placeholders in the path and header
/// values are replaced by values from the (mapped) message.
public struct HTTPRequestTemplate: TargetSettings {
    /// Default `POST`.
    public var method: String
    /// Appended to the system's base URL, for example `/api/orders/{$.order_id}`.
    public var path: String
    public var headers: [String: String]
    /// What is sent as the body. Default `$`: the whole document after the steps.
    public var body: JSONPath?

    public init(method: String, path: String, headers: [String: String], body: JSONPath?) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    public var summary: String { "`\(method) \(path)`" }

    public var footprint: DataFootprint {
        let segments = path.split(separator: "/").map(String.init).filter { !$0.contains("{") }
        return DataFootprint(segments: segments, description: "target.http \(method) \(path)")
    }

    public var idempotencyProblem: (message: String, path: [String])? {
        guard ["POST", "PATCH"].contains(method.uppercased()), !headers.keys.contains(where: { $0.lowercased() == "idempotency-key" }) else {
            return nil
        }
        return (
            "sends \(method.uppercased()) without an Idempotency-Key header, so a repeated delivery may act twice at the target", ["target", "http"]
        )
    }
}
