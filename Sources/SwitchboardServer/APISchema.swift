import SwitchboardEngine
import SwitchboardModel

/// The JSON Schemas (OpenAPI 3.0's subset) of what the management API reads and answers. Each
/// route names its own in `ManagementAPI.routes`, so the document states what the handler does:
/// a list is an array, a bounded number has its bounds, a body its required fields.
enum APISchema {
    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": .string("object"), "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        return .object(schema)
    }

    static func array(_ items: JSONValue) -> JSONValue { .object(["type": .string("array"), "items": items]) }

    static let string: JSONValue = .object(["type": .string("string")])
    static let boolean: JSONValue = .object(["type": .string("boolean")])
    static let integer: JSONValue = .object(["type": .string("integer"), "format": .string("int64")])

    static func integer(_ range: ClosedRange<Int64>) -> JSONValue {
        .object([
            "type": .string("integer"), "format": .string("int64"), "minimum": .int(range.lowerBound), "maximum": .int(range.upperBound),
        ])
    }

    static func oneOf(_ words: [String]) -> JSONValue { .object(["type": .string("string"), "enum": .array(words.map(JSONValue.string))]) }

    /// `{"error": {"code": "...", "message": "...", "problems": [...]}}`, every failure's answer
    /// (`problems` for a workspace a reload refused).
    static let error = object(
        ["error": object(["code": string, "message": string, "problems": array(string)], required: ["code", "message"])], required: ["error"])

    static let revision = object(
        [
            "revision": string, "commit": .object(["type": .string("string"), "nullable": .bool(true)]),
            "files": .object(["type": .string("object"), "additionalProperties": string]), "loaded_at": integer,
        ], required: ["revision", "commit", "files", "loaded_at"])

    static let reloadAnswer = object(
        ["revision": revision, "previous": string, "warnings": array(string)], required: ["revision", "previous", "warnings"])

    static let status = object(["status": string, "reason": string], required: ["status"])

    static let states = MessageState.allCases.map(\.description)

    /// A comma-separated list of states, such as `dead,retry_wait`.
    static let stateList: JSONValue = {
        let one = "(" + states.joined(separator: "|") + ")"
        return .object(["type": .string("string"), "pattern": .string("^\(one)(,\(one))*$")])
    }()

    static let integration = object(
        [
            "id": string, "title": string, "source": string, "target": string, "state": oneOf(["paused", "running"]),
            "messages": .object(["type": .string("object"), "additionalProperties": integer]),
            "policy": .object(["type": .string("object")]),
            "health": object(
                ["status": oneOf(IntegrationHealth.Level.allCases.map(\.rawValue)), "reasons": array(string)], required: ["status", "reasons"]),
        ], required: ["id", "title", "source", "target", "state", "messages", "policy", "health"])

    static let node = object(
        [
            "id": string, "host": string, "pid": integer, "started_at": string, "last_heartbeat": string, "alive": boolean,
            "version": string, "messages_in_flight": integer, "duties": array(string),
        ], required: ["id", "host", "pid", "started_at", "last_heartbeat", "alive", "version", "messages_in_flight", "duties"])

    static let pauseAnswer = object(
        ["id": string, "state": oneOf(["paused", "running"]), "changed": boolean], required: ["id", "state", "changed"])

    static let messageProperties: [String: JSONValue] = [
        "id": string, "integration": string, "state": oneOf(states), "attempts": integer, "received_at": string,
        "next_attempt_at": string, "last_error": string, "last_status": integer, "ordering_key": string, "idempotency_key": string,
    ]
    static let messageRequired = ["id", "integration", "state", "attempts", "received_at"]
    static let message = object(messageProperties, required: messageRequired)

    static let auditRecord = object(
        [
            "at": string, "message_id": string, "integration": string, "event": string, "actor": string, "from": oneOf(states),
            "to": oneOf(states), "attempt": integer, "status": integer, "duration_ms": integer, "detail": string,
            "revision": string, "request": string,
        ], required: ["at", "message_id", "integration", "event", "actor"])

    static let messageDetail = object(
        messageProperties.merging(["payload": string, "history": array(auditRecord)]) { $1 }, required: messageRequired + ["payload", "history"])

    /// Which dead letters: `{"ids": [...]}` or `{"all": true}`, with `integration` to keep to one
    /// integration's and, for a discard, a `reason`.
    static func selection(reason: Bool) -> JSONValue {
        var properties: [String: JSONValue] = ["ids": array(string), "integration": string, "all": boolean]
        if reason { properties["reason"] = string }
        return .object([
            "type": .string("object"), "properties": .object(properties),
            "anyOf": .array([
                .object(["required": .array([.string("ids")])]),
                .object(["required": .array([.string("all")]), "properties": .object(["all": .object(["enum": .array([.bool(true)])])])]),
            ]),
        ])
    }

    static func done(_ field: String) -> JSONValue { object([field: array(string)], required: [field]) }

    /// Epoch milliseconds from 1970 to the end of year 9999.
    static let epochMillis: ClosedRange<Int64> = 0...253_402_300_799_999
}
