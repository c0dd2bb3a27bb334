import Foundation
import SwitchboardEngine
import SwitchboardModel

/// How the operations commands print messages and audit records, as text and as JSON.
extension Operations {
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
        if message.state == .leased {
            // The node, without a reload's loop number: what `/api/v1/nodes` lists.
            if let owner = message.leaseOwner { object["leased_by"] = .string(String(owner.split(separator: "#").first ?? "")) }
            if let until = message.lifecycle.leaseExpiresAt { object["lease_expires_at"] = .string(time(until)) }
        }
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
        if let revision = record.revision { object["revision"] = .string(revision) }
        if let request = record.request { object["request"] = .string(request) }
        return .object(object)
    }

    /// Under an attempt in `messages show`: the revision that made it, the request it sent and
    /// the answer, each block's lines indented under its label.
    static func attemptLines(_ record: AuditRecord) -> [String] {
        guard record.isAttempt else { return [] }
        func block(_ label: String, _ text: String) -> [String] {
            text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, line in
                (index == 0 ? label.padding(toLength: 9, withPad: " ", startingAt: 0) : String(repeating: " ", count: 9)) + line
            }
        }
        var lines: [String] = []
        if let revision = record.revision { lines.append("revision \(revision)") }
        lines += block("request", record.request ?? "(not kept: store.audit_requests)")
        let answer = [record.status.map(String.init), record.detail].compactMap { $0 }.joined(separator: " ")
        lines += block(record.status == nil ? "outcome" : "response", answer.isEmpty ? "(no body)" : answer)
        return lines
    }

    static func auditLine(_ record: AuditRecord) -> String {
        var parts = [time(record.at), record.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0), record.messageID, record.integration]
        if let from = record.fromState, let to = record.toState {
            parts.append("\(from)->\(to)")
        } else if let to = record.toState {
            parts.append("->\(to)")
        }
        if let attempt = record.attempt { parts.append("attempt \(attempt)") }
        if let status = record.status { parts.append("status \(status)") }
        if let duration = record.durationMillis { parts.append("\(duration)ms") }
        if record.actor != "hub" { parts.append("by \(record.actor)") }
        if let detail = record.detail { parts.append(detail.replacingOccurrences(of: "\n", with: " ").prefix(120).description) }
        return parts.joined(separator: "  ")
    }
}
