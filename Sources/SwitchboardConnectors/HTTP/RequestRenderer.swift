import SwitchboardEngine
import SwitchboardModel

/// Renders an integration's HTTP target for one message: placeholders `{$.path}` in the path and
/// header values are replaced with values from the document (URL-encoded in the path).
public struct RequestRenderer: Sendable {
    public let template: HTTPRequestTemplate
    /// The system's base URL in the active environment, without a trailing slash.
    public let baseURL: String
    /// Headers of the system's connection, secrets already resolved; sent with every request.
    public let connectionHeaders: [String: String]

    public init(template: HTTPRequestTemplate, baseURL: String, connectionHeaders: [String: String]) {
        self.template = template
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.connectionHeaders = connectionHeaders
    }

    public func render(_ document: JSONValue, messageID: String) throws(StepError) -> OutboundRequest {
        let path = try Self.fill(template.path, from: document, encode: true)
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        let fixed = Set(connectionHeaders.keys.map { $0.lowercased() })
        for (name, value) in connectionHeaders.sorted(by: { $0.key < $1.key }) { headers.append((name, value)) }
        // The target's headers, which may hold message values, never replace the connection's,
        // the client's or the hub's (the reader refuses them; this holds for any template).
        for (name, value) in template.headers.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            guard !fixed.contains(lower), HTTPKind.headerProblem(lower, setByConnection: false) == nil else { continue }
            if lower == "content-type" { headers.removeAll { $0.0.lowercased() == lower } }
            headers.append((name, try Self.fill(value, from: document, encode: false)))
        }
        // Lets the target de-duplicate: the same message always carries the same id.
        headers.append(("X-Switchboard-Message-Id", messageID))
        var body: [UInt8] = []
        if template.method != "GET" && template.method != "DELETE", let bodyPath = template.body {
            guard let value = bodyPath.value(in: document) else { throw StepError("target.http.body path \(bodyPath) has no value in the message") }
            body = value.serialized()
        }
        return OutboundRequest(method: template.method, url: baseURL + path, path: path, headers: headers, body: body)
    }

    static func fill(_ text: String, from document: JSONValue, encode: Bool) throws(StepError) -> String {
        guard text.contains("{$") else { return text }
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{$") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.lowerBound...].firstIndex(of: "}") else { throw StepError("placeholder in '\(text)' is not closed") }
            let pathText = String(rest[rest.index(after: open.lowerBound)..<close])
            guard let path = JSONPath(pathText) else { throw StepError("placeholder {\(pathText)} in '\(text)' is not a path") }
            guard let value = path.value(in: document), value != .null else {
                throw StepError("placeholder {\(pathText)} has no value in the message")
            }
            output += encode ? value.text.percentEncoded : value.text
            rest = rest[rest.index(after: close)...]
        }
        return output + rest
    }
}
