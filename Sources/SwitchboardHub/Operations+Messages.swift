import Foundation
import SwitchboardEngine
import SwitchboardModel

/// `switchboard messages list|show`.
extension Operations {
    public func listMessages(_ filter: MessageFilter, json: Bool) async throws -> String {
        let messages = try await store.messages(matching: filter)
        if json { return JSONValue.array(messages.map(Self.summary)).jsonString }
        guard !messages.isEmpty else { return "no messages match" }
        var lines = [Self.row("ID", "INTEGRATION", "STATE", "ATTEMPTS", "RECEIVED", "LAST ERROR")]
        for message in messages {
            lines.append(
                Self.row(
                    message.id, message.integration, message.state.description, String(message.lifecycle.attempts),
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
        for record in history {
            lines.append("  " + Self.auditLine(record))
            lines += Self.attemptLines(record).map { "      " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
