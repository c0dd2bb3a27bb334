import SwitchboardEngine
import SwitchboardModel

/// `kind: http`: any HTTP or HTTPS API. Each message becomes one request built from a template.
public struct HTTPKind: ConnectorRuntime {
    public init() {}

    public let spec = ConnectorSpec(
        kind: "http", title: "HTTP",
        summary: "Any HTTP or HTTPS API: each message becomes one request built from a template.",
        description: """
            Each message, after the steps, is sent as one request: the system's `base_url` and the \
            target's `path`, with `{$.path}` placeholders filled from the message (URL-encoded in the \
            path), the connection's headers, the target's headers and the message id in \
            `X-Switchboard-Message-Id`. 2xx is delivered; 408, 425, 429, 5xx, timeouts and broken \
            connections are retried (honouring `Retry-After`); other answers go to the dead letters.
            """,
        connection: [
            FieldSpec("base_url", .url, doc: "Base URL that target paths are appended to; may hold references.", example: "https://erp.example.com"),
            FieldSpec(
                "headers", .headers, doc: "Headers sent with every request; a credential header must be a ${env:NAME} or ${file:PATH} reference.",
                example: "{ Authorization: \"Bearer ${env:ERP_TOKEN}\" }"),
            OutboundClient.connectTimeoutField,
        ],
        addressField: "base_url",
        target: [
            FieldSpec("method", .choice(["POST", "PUT", "PATCH", "DELETE", "GET"]), default: "POST", doc: "The request's method."),
            FieldSpec(
                "path", .string, required: true, doc: "Appended to the base URL; `{$.path}` placeholders are filled from the message.",
                example: "/api/orders/{$.order_id}"),
            FieldSpec(
                "headers", .headers,
                doc: "Headers of this integration's requests; values may hold placeholders. Credentials belong in the connection.",
                example: "{ Idempotency-Key: \"{$.order_id}\" }"),
            FieldSpec("body", .path, default: "$", doc: "What is sent as the body (not for GET and DELETE)."),
        ],
        idempotency:
            "A `PUT` or `DELETE` repeated by a retry is harmless; a `POST` or `PATCH` is only when the target honours an `Idempotency-Key` header, which `check` asks for (SB150).",
        references: ["https://www.rfc-editor.org/rfc/rfc9110"])

    package func readConnection(_ fields: ConfigFields, context: ReadContext) -> (any ConnectionSettings)? {
        HTTPConnectionSettings(
            baseURL: context.url(fields["base_url"]), headers: context.headers(fields["headers"]),
            connectTimeout: OutboundClient.readConnectTimeout(fields))
    }

    package func readTarget(_ http: ConfigFields, context: ReadContext) -> (any TargetSettings)? {
        let method = (http.string("method") ?? "POST").uppercased()
        if !["POST", "PUT", "PATCH", "DELETE", "GET"].contains(method) {
            http["method"]?.report("target.http.method must be POST, PUT, PATCH, DELETE or GET, not '\(method)'")
        }
        var path = http.string("path")
        if let path, !path.hasPrefix("/") { http["path"]?.report("target.http.path must start with '/'") }
        if let written = path, let field = http["path"] { path = context.rejectInlineQuerySecrets(written, at: field) }
        var headers: [String: String] = [:]
        let connectionHeaders = (context.connection?.settings as? HTTPConnectionSettings)?.headers.keys.map { $0.lowercased() } ?? []
        for entry in http["headers"]?.mapping()?.entries ?? [] {
            guard let text = entry.value.string() else { continue }
            let name = entry.key.lowercased()
            if let problem = Self.headerProblem(name, setByConnection: connectionHeaders.contains(name)) {
                // A credential written here is a secret in the integration's file (SB190), whatever else is wrong.
                entry.value.report("\(entry.value.path) \(problem)", rule: SecretResolver.isSensitiveHeader(name) ? "SB190" : nil)
                continue
            }
            headers[entry.key] = text
        }
        let body = http["body"].flatMap { StepReader.readPath($0) }
        guard let path else { return nil }
        return HTTPRequestTemplate(method: method, path: path, headers: headers, body: body ?? JSONPath("$"))
    }

    /// Headers the HTTP client or the hub sets: a target may not set them, from a message value or
    /// otherwise (a message could redirect the request with `Host` or smuggle one with
    /// `Transfer-Encoding`).
    static let managedHeaders: Set<String> = [
        "host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "content-length",
        "x-switchboard-message-id",
    ]

    /// Why a target may not set header `name` (lower-cased), or nil when it may.
    static func headerProblem(_ name: String, setByConnection: Bool) -> String? {
        if name == "x-switchboard-message-id" { return "is set by the hub to the message's id; a target cannot set it" }
        if managedHeaders.contains(name) { return "is set by the HTTP client; a target cannot set it" }
        if SecretResolver.isSensitiveHeader(name) {
            return
                "holds a credential, which a target cannot set (not even from the message); put it in the system's connection headers as a ${env:NAME} reference"
        }
        if setByConnection { return "is set by the system's connection; a target cannot replace it" }
        return nil
    }

    public func makeConnector(_ context: ConnectorContext) throws(ConnectorSetupError) -> any Connector {
        HTTPConnector(
            connection: context.connection.settings as? HTTPConnectionSettings, budget: context.budget,
            maxConnectionsPerHost: max(8, context.maxConnections))
    }

    public func preview(_ delivery: Delivery, connection: Connection?) throws(StepError) -> OutboundRequest {
        try HTTPConnector.request(for: delivery, connection: connection?.settings as? HTTPConnectionSettings)
    }
}
