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
    struct Write: Sendable {
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

    /// Characters with which an alternate key value cannot address a record in a URL.
    /// https://learn.microsoft.com/power-apps/maker/data-platform/define-alternate-keys-portal
    static let unaddressable: Set<Character> = ["/", "#", "<", ">", "*", "%", "&", ":", "\\", "?", "+"]

    private static func isNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .largeInteger, .double: true
        default: false
        }
    }

    /// The write a delivery stands for. Its key is written as `table`'s metadata types each key
    /// column: the primary id alone as a bare GUID (`accounts(5f2b…)`), an alternate key's parts
    /// as their columns' literals (`accountnumber='1001'` for text, `9` for a whole number); a
    /// value that is no literal of its column's type, or a column the table does not have, is a
    /// `StepError` (nothing is sent). `table` is nil only for a create.
    static func write(for delivery: Delivery, table: DataverseTable?) throws(StepError) -> Write {
        guard let write = delivery.target as? DataverseWrite else { throw StepError("the integration's target is not a Dataverse write") }
        let document = delivery.document
        var resource = write.table
        if write.operation != .create {
            var parts: [(column: String?, literal: String)] = []
            for (column, keyPath) in write.key {
                guard let value = keyPath.value(in: document), value != .null else {
                    throw StepError("target.dataverse.key.\(column) path \(keyPath) has no value in the message")
                }
                if let table, !table.columnTypes.isEmpty, table.columnTypes[column] == nil {
                    throw StepError("target.dataverse.key.\(column): the table \(write.table) has no column \(column)")
                }
                if let reserved = value.text.first(where: { Self.unaddressable.contains($0) }), !isNumber(value) {
                    throw StepError(
                        "target.dataverse.key.\(column) from \(keyPath) is '\(value.text.prefix(60))', whose '\(reserved)' Dataverse cannot take in a key in a URL (GET and PATCH fail on / # < > * % & : \\ ? +)"
                    )
                }
                let isPrimaryID = write.key.count == 1 && column == table?.primaryID
                let kind = isPrimaryID ? .guid : table?.literalKind(of: column)
                do {
                    parts.append((isPrimaryID ? nil : column, try ODataLiteral.literal(value, as: kind)))
                } catch {
                    let type = table?.columnTypes[column].map { " (the column is \($0))" } ?? ""
                    throw StepError("target.dataverse.key.\(column) from \(keyPath): \(error.reason)\(type)")
                }
            }
            resource = String(ODataLiteral.reference(entitySet: write.table, key: parts).dropFirst())
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
}
