import SwitchboardModel

/// How a route turns the document after its steps into a request: by an HTTP template, or as a
/// Dataverse record write.
public enum TargetRenderer: Sendable {
    case http(RequestRenderer)
    case dataverse(DataverseRenderer)

    public func render(_ document: JSONValue, messageID: String) throws(StepError) -> OutboundRequest {
        switch self {
        case .http(let renderer): try renderer.render(document, messageID: messageID)
        case .dataverse(let renderer): try renderer.render(document, messageID: messageID)
        }
    }
}

/// Renders a Dataverse record write as a Web API request: `PATCH /api/data/v9.2/salesorders(ordernumber='SO-1')`
/// for an upsert (no condition, so create or update), with `If-Match: *` for an update, `POST` to
/// the entity set for a create, `DELETE` for a delete. The bearer token is the connector's to add.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-upsert-insert-update-record
public struct DataverseRenderer: Sendable {
    public let write: DataverseWrite
    /// The environment URL without a trailing slash.
    public let environmentURL: String

    public init(write: DataverseWrite, environmentURL: String) {
        self.write = write
        self.environmentURL = environmentURL.hasSuffix("/") ? String(environmentURL.dropLast()) : environmentURL
    }

    public func render(_ document: JSONValue, messageID: String) throws(StepError) -> OutboundRequest {
        var path = "/api/data/v9.2/\(write.table)"
        if write.operation != .create {
            var parts: [String] = []
            for (column, keyPath) in write.key {
                guard let value = keyPath.value(in: document), value != .null else {
                    throw StepError("target.dataverse.key.\(column) path \(keyPath) has no value in the message")
                }
                parts.append(write.key.count == 1 && Self.isGUID(value.text) && column.hasSuffix("id") ? value.text : "\(column)=\(Self.literal(value))")
            }
            path += "(\(parts.joined(separator: ",")))"
        }
        var headers: [(String, String)] = [("Accept", "application/json"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0")]
        var body: [UInt8] = []
        let method: String
        switch write.operation {
        case .upsert: method = "PATCH"
        case .update:
            method = "PATCH"
            headers.append(("If-Match", "*"))
        case .create: method = "POST"
        case .delete: method = "DELETE"
        }
        if write.operation != .delete {
            guard let value = write.body.value(in: document), case .object = value else {
                throw StepError("target.dataverse.body \(write.body) must be an object of the record's columns")
            }
            body = value.serialized()
            headers.append(("Content-Type", "application/json; charset=utf-8"))
        }
        headers.append(("X-Switchboard-Message-Id", messageID))
        return OutboundRequest(method: method, url: environmentURL + path, path: path, headers: headers, body: body)
    }

    /// A key value in OData literal form: text in quotes (a quote doubled), percent-encoded; numbers bare.
    static func literal(_ value: JSONValue) -> String {
        switch value {
        case .int, .double, .bool: return value.text
        default:
            let text = value.text
            if isGUID(text) { return text }
            return "'" + RequestRenderer.percentEncode(text.replacingOccurrences(of: "'", with: "''")) + "'"
        }
    }

    static func isGUID(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        return text.count == 36 && parts.map(\.count) == [8, 4, 4, 4, 12] && text.allSatisfy { $0.isHexDigit || $0 == "-" }
    }
}
