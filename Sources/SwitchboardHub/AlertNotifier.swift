import Foundation
import Logging
import ServiceLifecycle
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel

/// Sends the landscape's alerts: every `interval` it reads the audit log for messages that went
/// to the dead letters (`dead_letters`) or had an attempt fail (`errors`) since the last look, and
/// posts one notification per alert rule and integration to Teams, Slack or a webhook.
///
/// Guarantees: each audit record is counted once; a notification that cannot be sent is logged
/// and not retried (the next one carries the next events). Events from before the hub started
/// are not sent. `backlog` and `email` rules are not sent yet: the hub says so when it starts.
final class AlertNotifier: Service, Sendable {
    private let rules: [AlertRule]
    private let store: any MessageStore
    private let sender: any RequestSender
    private let clock: any WallClock
    private let interval: Duration
    private let logger: Logger

    init(rules: [AlertRule], store: any MessageStore, sender: any RequestSender, clock: any WallClock, interval: Duration, logger: Logger) {
        self.rules = rules
        self.store = store
        self.sender = sender
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        for rule in rules {
            if rule.channel == .email {
                logger.warning(
                    "alert rule sends email, which the hub cannot send yet; its events are only logged", metadata: ["sb.alert": "\(rule.id)"])
            }
            if rule.channel != .email, rule.resolvedTarget == nil {
                logger.warning(
                    "alert rule has no address: \(rule.target ?? "notify.url") is not set; its notifications are not sent",
                    metadata: ["sb.alert": "\(rule.id)"])
            }
        }
        let start = clock.now()
        await cancelWhenGracefulShutdown {
            var cursor = start
            var seenAtCursor = Set<String>()
            while !Task.isCancelled {
                do { try await self.clock.sleep(until: self.clock.now() + self.interval.milliseconds) } catch { return }
                do {
                    let records = try await self.store.audit(matching: AuditFilter(kinds: [.dead, .retry], since: cursor, limit: 10_000))
                        .filter { !seenAtCursor.contains(Self.key($0)) }
                    guard let newest = records.map(\.at).max() else { continue }
                    seenAtCursor = newest == cursor ? seenAtCursor : []
                    for record in records where record.at == newest { seenAtCursor.insert(Self.key(record)) }
                    cursor = newest
                    await self.notify(records)
                } catch {
                    self.logger.error("reading the audit log for alerts failed", metadata: ["sb.error": "\(error)"])
                }
            }
        }
    }

    static func key(_ record: AuditRecord) -> String { "\(record.messageID)|\(record.kind.rawValue)|\(record.at)|\(record.attempt ?? 0)" }

    private func notify(_ records: [AuditRecord]) async {
        for rule in rules {
            for (integration, events) in Dictionary(grouping: records.filter { rule.covers($0.integration) }, by: \.integration) {
                let dead = events.filter { $0.kind == .dead }
                let failed = events.filter { $0.kind == .retry }
                var lines: [String] = []
                if rule.conditions.contains(.deadLetters), !dead.isEmpty {
                    lines.append("\(dead.count) message\(dead.count == 1 ? "" : "s") went to the dead letters")
                }
                if rule.conditions.contains(.errors), !failed.isEmpty {
                    lines.append("\(failed.count) attempt\(failed.count == 1 ? "" : "s") failed and will be retried")
                }
                guard !lines.isEmpty else { continue }
                let latest = (dead + failed).max { $0.at < $1.at }
                let alert = Alert(
                    rule: rule.id, integration: integration, deadLetters: dead.count, failedAttempts: failed.count,
                    summary: lines.joined(separator: "; "), lastError: latest?.detail, lastStatus: latest?.status,
                    messageIDs: Array(Set((dead + failed).map(\.messageID))).sorted())
                await send(alert, rule: rule)
            }
        }
    }

    private func send(_ alert: Alert, rule: AlertRule) async {
        guard rule.channel != .email, let url = rule.resolvedTarget else {
            logger.warning(
                "alert not sent", metadata: ["sb.alert": "\(rule.id)", "sb.integration": "\(alert.integration)", "sb.summary": "\(alert.summary)"])
            return
        }
        let body = alert.payload(for: rule.channel).serialized()
        let request = OutboundRequest(method: "POST", url: url, path: "", headers: [("Content-Type", "application/json")], body: body)
        switch await sender.send(request, timeout: .seconds(10)) {
        case .response(let status, _, _) where (200..<300).contains(status): break
        case .response(let status, _, let text), .transient(let status, _, let text):
            // The address itself is a credential: never logged.
            logger.error(
                "alert notification refused", metadata: ["sb.alert": "\(rule.id)", "sb.status": "\(status)", "sb.body": "\(text.prefix(200))"])
        case .timeout, .connectionFailed, .unsendable:
            logger.error("alert notification could not be delivered", metadata: ["sb.alert": "\(rule.id)"])
        }
    }
}

/// One notification: what happened to one integration since the last look.
struct Alert: Sendable {
    var rule: String
    var integration: String
    var deadLetters: Int
    var failedAttempts: Int
    var summary: String
    var lastError: String?
    var lastStatus: Int?
    var messageIDs: [String]

    var title: String { "Switchboard: \(integration): \(summary)" }

    /// The body each channel expects: Slack's incoming webhook `{"text"}`, a Teams connector's
    /// MessageCard, or the alert as JSON for a generic webhook.
    func payload(for channel: AlertRule.Channel) -> JSONValue {
        let detail = [lastStatus.map { "last answer \($0)" }, lastError.map { "last error: \($0.prefix(300))" }].compactMap { $0 }.joined(
            separator: "; ")
        switch channel {
        case .slack:
            return .object(["text": .string(title + (detail.isEmpty ? "" : "\n" + detail))])
        case .teams:
            return .object([
                "@type": .string("MessageCard"), "@context": .string("https://schema.org/extensions"), "summary": .string(title),
                "themeColor": .string(deadLetters > 0 ? "C53030" : "B7791F"), "title": .string(title),
                "text": .string(detail.isEmpty ? summary : detail),
            ])
        case .webhook, .email:
            return .object([
                "alert": .string(rule), "integration": .string(integration), "dead_letters": .int(Int64(deadLetters)),
                "failed_attempts": .int(Int64(failedAttempts)), "summary": .string(summary),
                "last_error": lastError.map(JSONValue.string) ?? .null, "last_status": lastStatus.map { .int(Int64($0)) } ?? .null,
                "messages": .array(messageIDs.map(JSONValue.string)),
            ])
        }
    }
}
