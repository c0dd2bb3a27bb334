import SwitchboardEngine
import SwitchboardModel

/// Builds a record write's OData request from the delivery's typed `FinanceOperationsWrite`:
/// `POST /data/CustomersV3` with the key fields and `dataAreaId` in the body for a create,
/// `PATCH /data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')?cross-company=true`
/// with `If-Match: *` for an update, `DELETE` of the same address for a delete. An upsert is an
/// update when the record exists and a create when it does not (the connector reads first):
/// whether the service's `PATCH` creates a missing record is not documented.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/odata
enum FinanceOperationsRequests {
    /// The OData service's path under the environment URL.
    static let root = "/data/"
    /// The company field of company-specific entities.
    static let company = "dataAreaId"

    /// What a write does at the service once an upsert knows whether its record exists.
    enum Action: Sendable, Hashable {
        case create, update, delete
    }

    /// One write addressed and built: what the connector sends alone or as a `$batch` part.
    struct Write: Sendable {
        var write: FinanceOperationsWrite
        /// The key's values as the URL and the body carry them, `dataAreaId` first when the write has a company.
        var key: [(field: String, value: JSONValue)]
        /// `CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`.
        var address: String
        /// The record's fields (without the key) for a create or update; nil for a delete.
        var record: [String: JSONValue]?
        var messageID: String

        /// What the write does when the record's existence is `exists` (read for upserts only).
        func action(exists: Bool?) -> Action {
            switch write.operation {
            case .create: .create
            case .update: .update
            case .delete: .delete
            case .upsert: exists == true ? .update : .create
            }
        }

        func method(_ action: Action) -> String {
            switch action {
            case .create: "POST"
            case .update: "PATCH"
            case .delete: "DELETE"
            }
        }

        /// The part after the service root: the entity set for a create, the record's address
        /// (seen across companies, so a key in another company than the user's default is found) otherwise.
        func resource(_ action: Action) -> String {
            if action == .create { return write.entity }
            return key.contains { $0.field == FinanceOperationsRequests.company } ? address + "?cross-company=true" : address
        }

        func headers(_ action: Action) -> [(String, String)] {
            var headers: [(String, String)] = [("Accept", "application/json"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0")]
            if action == .update { headers.append(("If-Match", "*")) }
            if action != .delete { headers.append(("Content-Type", "application/json; charset=utf-8")) }
            headers.append(("X-Switchboard-Message-Id", messageID))
            return headers
        }

        /// A create carries the key with the fields (so the record is made under it); an update the fields alone.
        func body(_ action: Action) -> [UInt8] {
            switch action {
            case .delete: return []
            case .update: return JSONValue.object(record ?? [:]).serialized()
            case .create:
                var fields = record ?? [:]
                for (field, value) in key { fields[field] = value }
                return JSONValue.object(fields).serialized()
            }
        }

        func request(_ action: Action, environmentURL: String) -> OutboundRequest {
            let resource = resource(action)
            return OutboundRequest(
                method: method(action), url: environmentURL + root + resource, path: root + resource, headers: headers(action), body: body(action))
        }
    }

    /// The write a delivery stands for. A key value must be text or a number (a number is
    /// written bare, text quoted); the company is the target's, else `defaultCompany`, and is
    /// lower-cased as the service keeps it. A key part with no value, a body that is not an
    /// object, or a body that changes a key field to another value is a `StepError` (nothing is sent).
    static func write(for delivery: Delivery, defaultCompany: String?) throws(StepError) -> Write {
        guard let write = delivery.target as? FinanceOperationsWrite else {
            throw StepError("the integration's target is not a Finance & Operations write")
        }
        let document = delivery.document
        var key: [(field: String, value: JSONValue)] = []
        var company: String?
        switch write.company {
        case .path(let path)?:
            guard let value = path.value(in: document), case .string(let text) = value, !text.isEmpty else {
                throw StepError("target.finance-operations.company path \(path) has no company id (text) in the message")
            }
            company = text
        case .fixed(let id)?: company = id
        case nil: company = defaultCompany
        }
        if let company { key.append((Self.company, .string(company.lowercased()))) }
        for (field, path) in write.key {
            guard let value = path.value(in: document), value != .null else {
                throw StepError("target.finance-operations.key.\(field) path \(path) has no value in the message")
            }
            switch value {
            case .string, .int, .largeInteger, .double: key.append((field, value))
            default: throw StepError("target.finance-operations.key.\(field) from \(path) is \(value.kindName), which cannot be a key")
            }
        }
        let parts: [(column: String?, literal: String)] = key.map { ($0.field, literal($0.value)) }
        let address = String(ODataLiteral.reference(entitySet: write.entity, key: parts).dropFirst())
        var record: [String: JSONValue]?
        if write.operation != .delete {
            guard let value = write.body.value(in: document), case .object(var fields) = value else {
                throw StepError("target.finance-operations.body \(write.body) must be an object of the record's fields")
            }
            for (field, keyValue) in key {
                guard let given = fields.removeValue(forKey: field) else { continue }
                if given.text.lowercased() != keyValue.text.lowercased() {
                    throw StepError(
                        "target.finance-operations.body sets the key field \(field) to '\(given.text.prefix(60))', but the key says '\(keyValue.text.prefix(60))'")
                }
            }
            record = fields
        }
        return Write(write: write, key: key, address: address, record: record, messageID: delivery.messageID)
    }

    /// A key value as the URL and `$filter` write it: a number bare, text quoted.
    static func literal(_ value: JSONValue) -> String {
        (try? ODataLiteral.literal(value, as: nil)) ?? ODataLiteral.quoted(value.text)
    }
}
