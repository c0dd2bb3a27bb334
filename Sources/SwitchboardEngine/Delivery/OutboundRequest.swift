/// An HTTP request as a connector sends it, and as `switchboard test` compares it. The engine never
/// builds one for a delivery: a connector builds its own from the `Delivery`.
public struct OutboundRequest: Sendable, Hashable {
    public var method: String
    /// Absolute URL: the system's base URL and the rendered path.
    public var url: String
    /// The rendered path alone, as `switchboard test` compares it.
    public var path: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, url: String, path: String, headers: [(String, String)], body: [UInt8]) {
        self.method = method
        self.url = url
        self.path = path
        self.headers = headers
        self.body = body
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
