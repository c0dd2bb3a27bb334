import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardSQLite

/// `messages`, `dlq` and `audit`: read and change the store of a running or stopped hub.
///
/// SQLite in WAL mode lets these run beside a hub; a change (replay, discard) waits for the
/// hub's write lock and is picked up by its next claim.
public struct Operations: Sendable {
    public let store: any MessageStore & TokenStore
    private let clock: any WallClock

    /// Opens the store a workspace names, reading only its `store` settings.
    /// - Parameter creating: Create the store when there is none yet (for tokens made before the hub first runs).
    public init(workspace directory: URL, creating: Bool = false) throws {
        let settings = try Workspace.storeSettings(directory: directory)
        let path = Hub.storePath(root: directory, settings: settings)
        guard creating || FileManager.default.fileExists(atPath: path) else {
            throw OperationError("no store at \(path); start the hub once with `switchboard run` to create it")
        }
        self.init(store: try SQLiteMessageStore(path: path, durability: settings.durability))
    }

    public init(store: any MessageStore & TokenStore, clock: any WallClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Makes a token and returns the text that shows it, the only time it is shown.
    public func createToken(name: String, role: APIToken.Role) async throws -> String {
        let (token, record) = APIToken.generate(name: name, role: role, now: clock.now())
        try await store.insertToken(record)
        return """
            token \(record.id) (\(role.rawValue)) for \(name):
            \(token)
            It is shown only now; the hub keeps only its hash. Revoke it with `switchboard token revoke \(record.id)`.
            """
    }

    public func listTokens(json: Bool) async throws -> String {
        let tokens = try await store.tokens()
        if json {
            return JSONValue.array(tokens.map { token in
                .object(["id": .string(token.id), "name": .string(token.name), "role": .string(token.role.rawValue), "created_at": .string(Self.time(token.createdAt)),
                         "revoked_at": token.revokedAt.map { .string(Self.time($0)) } ?? .null])
            }).jsonString
        }
        guard !tokens.isEmpty else { return "no tokens; create one with `switchboard token create --role viewer|operator|admin --name NAME`" }
        return ([Self.row("ID", "ROLE", "CREATED", "REVOKED", "NAME", "")] + tokens.map { token in
            Self.row(token.id, token.role.rawValue, Self.time(token.createdAt), token.revokedAt.map(Self.time) ?? "-", token.name, "")
        }).joined(separator: "\n")
    }

    public func revokeToken(id: String) async throws -> String {
        guard try await store.revokeToken(id: id, now: clock.now()) else {
            throw OperationError("no token \(id) that is not revoked already; `switchboard token list` shows them")
        }
        return "revoked \(id)"
    }

    public func listMessages(_ filter: MessageFilter, json: Bool) async throws -> String {
        let messages = try await store.messages(matching: filter)
        if json { return JSONValue.array(messages.map(Self.summary)).jsonString }
        guard !messages.isEmpty else { return "no messages match" }
        var lines = [Self.row("ID", "INTEGRATION", "STATE", "ATTEMPTS", "RECEIVED", "LAST ERROR")]
        for message in messages {
            lines.append(Self.row(message.id, message.integration, message.state.description, String(message.lifecycle.attempts),
                                  Self.time(message.receivedAt), (message.lastError ?? "").prefix(60).replacingOccurrences(of: "\n", with: " ")))
        }
        return lines.joined(separator: "\n")
    }

    /// A message with its payload and its whole history, oldest first, as JSON; nil when there is none.
    public func messageDetail(id: String) async throws -> JSONValue? {
        guard let message = try await store.message(id: id) else { return nil }
        let history = try await store.audit(matching: AuditFilter(messageID: id, limit: 10_000)).reversed()
        var object = Self.summary(message)
        object.set(.string(String(decoding: message.payload, as: UTF8.self)), atDottedPath: "payload")
        object.set(.array(history.map(Self.auditJSON)), atDottedPath: "history")
        return object
    }

    public func showMessage(id: String, json: Bool) async throws -> String {
        if json {
            guard let detail = try await messageDetail(id: id) else { throw OperationError("no message with id \(id)") }
            return detail.jsonString
        }
        guard let message = try await store.message(id: id) else { throw OperationError("no message with id \(id)") }
        let history = try await store.audit(matching: AuditFilter(messageID: id, limit: 10_000)).reversed()
        var lines = [
            "id:           \(message.id)",
            "integration:  \(message.integration)",
            "state:        \(message.state)",
            "attempts:     \(message.lifecycle.attempts)",
            "received:     \(Self.time(message.receivedAt))",
            "next attempt: \(message.state == .retryWait ? Self.time(message.lifecycle.availableAt) : "-")",
        ]
        if let key = message.orderingKey { lines.append("ordering key: \(key)") }
        if let key = message.idempotencyKey { lines.append("idempotency:  \(key)") }
        if let error = message.lastError { lines.append("last error:   \(message.lastStatus.map { "\($0) " } ?? "")\(error)") }
        lines.append("payload:      \(String(decoding: message.payload, as: UTF8.self))")
        lines.append("history:")
        for record in history { lines.append("  " + Self.auditLine(record)) }
        return lines.joined(separator: "\n")
    }

    public func replay(_ filter: MessageFilter, ids: [String]?, actor: String) async throws -> String {
        let replayed = try await store.replay(matching: filter, ids: ids, now: clock.now(), actor: actor)
        return "replayed \(replayed.count) dead message\(replayed.count == 1 ? "" : "s")" + replayed.map { "\n  \($0)" }.joined()
    }

    public func discard(_ filter: MessageFilter, ids: [String]?, actor: String, reason: String?) async throws -> String {
        let discarded = try await store.discard(matching: filter, ids: ids, now: clock.now(), actor: actor, reason: reason)
        return "discarded \(discarded.count) dead message\(discarded.count == 1 ? "" : "s")" + discarded.map { "\n  \($0)" }.joined()
    }

    public func audit(_ filter: AuditFilter, json: Bool) async throws -> String {
        let records = try await store.audit(matching: filter)
        if json { return JSONValue.array(records.map(Self.auditJSON)).jsonString }
        guard !records.isEmpty else { return "no audit records match" }
        return records.map(Self.auditLine).joined(separator: "\n")
    }

    static func row(_ columns: String...) -> String {
        let widths = [26, 20, 11, 8, 24]
        return columns.enumerated().map { index, column in
            index < widths.count ? column.padding(toLength: max(widths[index], column.count), withPad: " ", startingAt: 0) : column
        }.joined(separator: " ")
    }

    static func time(_ millis: Int64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func summary(_ message: Message) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(message.id), "integration": .string(message.integration), "state": .string(message.state.description),
            "attempts": .int(Int64(message.lifecycle.attempts)), "received_at": .string(time(message.receivedAt)),
        ]
        if message.state == .retryWait { object["next_attempt_at"] = .string(time(message.lifecycle.availableAt)) }
        if let error = message.lastError { object["last_error"] = .string(error) }
        if let status = message.lastStatus { object["last_status"] = .int(Int64(status)) }
        if let key = message.orderingKey { object["ordering_key"] = .string(key) }
        if let key = message.idempotencyKey { object["idempotency_key"] = .string(key) }
        return .object(object)
    }

    static func auditJSON(_ record: AuditRecord) -> JSONValue {
        var object: [String: JSONValue] = [
            "at": .string(time(record.at)), "message_id": .string(record.messageID), "integration": .string(record.integration),
            "event": .string(record.kind.rawValue), "actor": .string(record.actor),
        ]
        if let state = record.fromState { object["from"] = .string(state.description) }
        if let state = record.toState { object["to"] = .string(state.description) }
        if let attempt = record.attempt { object["attempt"] = .int(Int64(attempt)) }
        if let status = record.status { object["status"] = .int(Int64(status)) }
        if let duration = record.durationMillis { object["duration_ms"] = .int(duration) }
        if let detail = record.detail { object["detail"] = .string(detail) }
        return .object(object)
    }

    static func auditLine(_ record: AuditRecord) -> String {
        var parts = [time(record.at), record.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0), record.messageID, record.integration]
        if let from = record.fromState, let to = record.toState { parts.append("\(from)->\(to)") } else if let to = record.toState { parts.append("->\(to)") }
        if let attempt = record.attempt { parts.append("attempt \(attempt)") }
        if let status = record.status { parts.append("status \(status)") }
        if let duration = record.durationMillis { parts.append("\(duration)ms") }
        if record.actor != "hub" { parts.append("by \(record.actor)") }
        if let detail = record.detail { parts.append(detail.replacingOccurrences(of: "\n", with: " ").prefix(120).description) }
        return parts.joined(separator: "  ")
    }
}

/// A command that cannot do what was asked, in one sentence.
public struct OperationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
