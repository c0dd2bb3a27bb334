import SwitchboardEngine
import SwitchboardModel

/// Builds a record write's Web API request from the delivery's typed `DataverseWrite`:
/// `PATCH /api/data/v9.2/salesorders(ordernumber='SO-1')` for an upsert (no condition, so create
/// or update), with `If-Match: *` for an update, `POST` to the entity set for a create, `DELETE`
/// for a delete. The bearer token is the connector's to add.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-upsert-insert-update-record
enum DataverseRequests {
    /// The Web API's path under the environment URL.
    static let root = "/api/data/v9.2/"

    /// One write addressed and built: what the connector sends alone, in a `$batch` part, or as one target of a bulk message.
    struct Write {
        var write: DataverseWrite
        /// `salesorders(ordernumber='SO-1')`, or `salesorders` for a create: the part after the Web API root.
        var resource: String
        /// The record's columns; nil for a delete.
        var record: [String: JSONValue]?
        var messageID: String

        var method: String {
            switch write.operation {
            case .upsert, .update: "PATCH"
            case .create: "POST"
            case .delete: "DELETE"
            }
        }

        var headers: [(String, String)] {
            var headers: [(String, String)] = [("Accept", "application/json"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0")]
            if write.operation == .update { headers.append(("If-Match", "*")) }
            if record != nil { headers.append(("Content-Type", "application/json; charset=utf-8")) }
            headers.append(("X-Switchboard-Message-Id", messageID))
            return headers
        }

        var body: [UInt8] { record.map { JSONValue.object($0).serialized() } ?? [] }

        /// The request as sent alone, to `environmentURL`.
        func request(environmentURL: String) -> OutboundRequest {
            OutboundRequest(method: method, url: environmentURL + root + resource, path: root + resource, headers: headers, body: body)
        }

        /// The bulk message that can carry this write with others of its table (nil: none can, a delete).
        var bulkAction: String? {
            switch write.operation {
            case .create: "CreateMultiple"
            case .upsert: "UpsertMultiple"
            case .update: "UpdateMultiple"
            case .delete: nil
            }
        }
    }

    static func write(for delivery: Delivery) throws(StepError) -> Write {
        guard let write = delivery.target as? DataverseWrite else { throw StepError("the integration's target is not a Dataverse write") }
        let document = delivery.document
        var resource = write.table
        if write.operation != .create {
            var parts: [String] = []
            for (column, keyPath) in write.key {
                guard let value = keyPath.value(in: document), value != .null else {
                    throw StepError("target.dataverse.key.\(column) path \(keyPath) has no value in the message")
                }
                parts.append(write.key.count == 1 && isGUID(value.text) && column.hasSuffix("id") ? value.text : "\(column)=\(literal(value))")
            }
            resource += "(\(parts.joined(separator: ",")))"
        }
        var record: [String: JSONValue]?
        if write.operation != .delete {
            guard let value = write.body.value(in: document), case .object(let fields) = value else {
                throw StepError("target.dataverse.body \(write.body) must be an object of the record's columns")
            }
            record = fields
        }
        return Write(write: write, resource: resource, record: record, messageID: delivery.messageID)
    }

    static func request(for delivery: Delivery, environmentURL: String) throws(StepError) -> OutboundRequest {
        try write(for: delivery).request(environmentURL: environmentURL.hasSuffix("/") ? String(environmentURL.dropLast()) : environmentURL)
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
