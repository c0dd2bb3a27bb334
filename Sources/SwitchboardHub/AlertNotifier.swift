import Foundation
import Logging
import ServiceLifecycle
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// Sends the landscape's alerts: every `interval` it reads the audit log for messages that went
/// to the dead letters (`dead_letters`) or had an attempt fail (`errors`) since the last look,
/// looks for messages waiting longer than their integration's delivery-latency objective
/// (`backlog`), and reads the health board for sources that fail (`source_failures`), targets
/// that are down (`target_down`) and targets that throttle (`throttling`); it posts one
/// notification per alert rule and integration to Teams (an Adaptive Card through a Workflows
/// webhook), Slack or a webhook.
///
/// Guarantees: each audit record is counted once, so a message that dies again after a replay
/// counts once per death, and every distinct error is shown; a backlog is reported when it
/// appears and again once it cleared and came back, not at every look, and so is a failing
/// source, a target down (each also when it recovers) and throttling; a notification that
/// cannot be sent is logged and not retried (the next one carries the next events). Events from
/// before the hub started are not sent. `email` rules are not sent: the hub says so when it starts.
final class AlertNotifier: Service, Sendable {
    private let rules: [AlertRule]
    private let store: any MessageStore
    private let sender: any RequestSender
    private let clock: any WallClock
    private let interval: Duration
    private let logger: Logger
    /// Each integration's delivery-latency objective, for `backlog` rules.
    private let objectives: [String: Duration]
    /// Where people reach the dashboard, for links in notifications; nil: no links.
    private let dashboardURL: String?
    /// Integrations whose backlog was reported and has not cleared since.
    private let backlogged = Mutex<Set<String>>([])
    /// What the sources and targets have shown; nil: no health alerts.
    private let board: HealthBoard?
    /// Each integration with its source and target system.
    private let integrations: [(id: String, source: String, target: String)]
    /// `condition|integration` of the health problems reported and not yet recovered.
    private let reported = Mutex<Set<String>>([])
    /// Alerts are one node's duty (`alerts`): each is sent once, not once per node. A node that
    /// does not hold it moves its cursor on, so taking over later sends nothing twice (what
    /// happened while the duty changed hands, at most its time to live, is not sent).
    private let duties: DutyGate

    init(
        rules: [AlertRule], store: any MessageStore, sender: any RequestSender, clock: any WallClock, interval: Duration, logger: Logger,
        board: HealthBoard? = nil, integrations: [(id: String, source: String, target: String)] = [], objectives: [String: Duration] = [:],
        dashboardURL: String? = nil, duties: DutyGate? = nil
    ) {
        self.duties = duties ?? .local(clock: clock)
        self.board = board
        self.integrations = integrations
        self.rules = rules
        self.store = store
        self.sender = sender
        self.clock = clock
        self.interval = interval
        self.logger = logger
        self.objectives = objectives
        self.dashboardURL = dashboardURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
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
            if rule.conditions.contains(.backlog), let integrations = rule.integrations {
                let unwatched = integrations.filter { objectives[$0] == nil }
                if !unwatched.isEmpty {
                    logger.warning(
                        "alert rule watches the backlog of integrations without slo.delivery_latency, which it cannot judge: \(unwatched.joined(separator: ", "))",
                        metadata: ["sb.alert": "\(rule.id)"])
                }
            }
        }
        let start = clock.now()
        await cancelWhenGracefulShutdown {
            var cursor = start
            var seenAtCursor = Set<String>()
            while !Task.isCancelled {
                do { try await self.clock.sleep(until: self.clock.now() + self.interval.milliseconds) } catch { return }
                guard await self.duties.holds("alerts", ttl: max(self.interval * 3, .seconds(15))) else {
                    cursor = self.clock.now()
                    seenAtCursor = []
                    continue
                }
                await self.checkBacklogs()
                await self.checkHealth()
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
                var errors: [String] = []
                for record in (dead + failed).sorted(by: { $0.at < $1.at }) {
                    guard let detail = record.detail, !detail.isEmpty, !errors.contains(detail) else { continue }
                    errors.append(detail)
                }
                let alert = Alert(
                    rule: rule.id, integration: integration, deadLetters: dead.count, failedAttempts: failed.count,
                    summary: lines.joined(separator: "; "), lastError: latest?.detail, lastStatus: latest?.status, errors: errors,
                    messageIDs: Array(Set((dead + failed).map(\.messageID))).sorted(), dashboardURL: dashboardURL)
                await send(alert, rule: rule)
            }
        }
    }

    /// Reports each integration with a `backlog` rule whose oldest waiting message has waited
    /// longer than its objective, once until it clears.
    private func checkBacklogs() async {
        let watched = rules.filter { $0.conditions.contains(.backlog) }
        guard !watched.isEmpty else { return }
        let now = clock.now()
        for (integration, objective) in objectives.sorted(by: { $0.key < $1.key }) where watched.contains(where: { $0.covers(integration) }) {
            let late: [Message]
            do {
                late = try await store.messages(
                    matching: MessageFilter(
                        integration: integration, states: [.ready, .leased, .retryWait], until: now - objective.milliseconds, limit: 1_000))
            } catch {
                logger.error("reading the backlog for alerts failed", metadata: ["sb.error": "\(error)"])
                return
            }
            let wasReported = backlogged.withLock { $0.contains(integration) }
            if late.isEmpty {
                if wasReported { backlogged.withLock { _ = $0.remove(integration) } }
                continue
            }
            guard !wasReported else { continue }
            backlogged.withLock { _ = $0.insert(integration) }
            let count = late.count >= 1_000 ? "1,000 or more messages have" : "\(late.count) message\(late.count == 1 ? " has" : "s have")"
            let alert = Alert(
                rule: "", integration: integration, deadLetters: 0, failedAttempts: 0,
                summary: "\(count) waited longer than the delivery-latency objective of \(objective.spoken)",
                lastError: late.first?.lastError, lastStatus: late.first?.lastStatus, errors: late.compactMap(\.lastError).first.map { [$0] } ?? [],
                messageIDs: Array(late.map(\.id).prefix(20)), dashboardURL: dashboardURL, backlog: late.count)
            for rule in watched where rule.covers(integration) {
                var forRule = alert
                forRule.rule = rule.id
                await send(forRule, rule: rule)
            }
        }
    }

    /// Reports each source that began or stopped failing, each target that went down or came
    /// back, and each target that began throttling, once per change, to the rules that watch it.
    private func checkHealth() async {
        guard let board else { return }
        let now = clock.now()
        for integration in integrations {
            let source = board.source(integration.id)
            let target = board.target(integration.target)
            let problems: [(AlertRule.Condition, Bool, String, String)] = [
                (
                    .sourceFailures, source.isFailing,
                    "the source \(integration.source) fails: \(source.lastError ?? "no detail")", "the source \(integration.source) works again"
                ),
                (
                    .targetDown, target.isFailing, "the target \(integration.target) is down: \(target.lastError ?? "no detail")",
                    "the target \(integration.target) answers again"
                ),
                (
                    .throttling, (target.throttledUntil ?? 0) > now,
                    "the target \(integration.target) is throttling: it asked to wait \(Duration.milliseconds(max(0, (target.throttledUntil ?? now) - now)).spoken)",
                    ""
                ),
            ]
            for (condition, isBad, problem, recovery) in problems {
                let key = "\(condition.rawValue)|\(integration.id)"
                let wasReported = reported.withLock { $0.contains(key) }
                guard isBad != wasReported else { continue }
                reported.withLock { if isBad { $0.insert(key) } else { $0.remove(key) } }
                let summary = isBad ? problem : recovery
                guard !summary.isEmpty else { continue }
                let error = isBad ? (condition == .sourceFailures ? source.lastError : target.lastError) : nil
                for rule in rules where rule.conditions.contains(condition) && rule.covers(integration.id) {
                    let alert = Alert(
                        rule: rule.id, integration: integration.id, deadLetters: 0, failedAttempts: 0, summary: summary, lastError: error,
                        lastStatus: nil, errors: error.map { [$0] } ?? [], messageIDs: [], dashboardURL: dashboardURL, severe: isBad)
                    await send(alert, rule: rule)
                }
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
        case .response(let status, _, let text), .transient(let status, _, let text), .refused(let status, let text):
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
    /// Every distinct error of the events, oldest first.
    var errors: [String] = []
    var messageIDs: [String]
    /// Where people reach the dashboard; nil: no links.
    var dashboardURL: String?
    /// Messages waiting longer than the objective, for a backlog alert; nil otherwise.
    var backlog: Int?
    /// Whether it reports trouble rather than a recovery: the Teams card's colour.
    var severe = true

    var title: String { "Switchboard: \(integration): \(summary)" }

    /// The integration's page on the dashboard, when its address is known.
    var integrationLink: String? { dashboardURL.map { "\($0)/integrations/\(integration.percentEncoded)" } }

    func messageLink(_ id: String) -> String? { dashboardURL.map { "\($0)/messages/\(id.percentEncoded)" } }

    /// The body each channel expects: Slack's incoming webhook `{"text"}`, a Teams Workflows
    /// webhook's message with an Adaptive Card (the Office 365 connectors' MessageCard is being
    /// retired), or the alert as JSON for a generic webhook.
    func payload(for channel: AlertRule.Channel) -> JSONValue {
        let shownErrors = errors.prefix(5).map { String($0.prefix(300)) }
        let detail = [lastStatus.map { "last answer \($0)" }, shownErrors.isEmpty ? nil : "errors: " + shownErrors.joined(separator: " | ")]
            .compactMap { $0 }.joined(separator: "; ")
        switch channel {
        case .slack:
            return .object([
                "text": .string(title + (detail.isEmpty ? "" : "\n" + detail) + (integrationLink.map { "\n<\($0)|Open in Switchboard>" } ?? ""))
            ])
        case .teams:
            var body: [JSONValue] = [
                .object([
                    "type": .string("TextBlock"), "size": .string("Medium"), "weight": .string("Bolder"), "wrap": .bool(true),
                    "color": .string(!severe ? "Good" : deadLetters > 0 ? "Attention" : "Warning"), "text": .string(title),
                ])
            ]
            var facts: [JSONValue] = [.object(["title": .string("Integration"), "value": .string(integration)])]
            if deadLetters > 0 { facts.append(.object(["title": .string("Dead letters"), "value": .string("\(deadLetters)")])) }
            if failedAttempts > 0 { facts.append(.object(["title": .string("Failed attempts"), "value": .string("\(failedAttempts)")])) }
            if let backlog { facts.append(.object(["title": .string("Waiting too long"), "value": .string("\(backlog)")])) }
            if let lastStatus { facts.append(.object(["title": .string("Last answer"), "value": .string("\(lastStatus)")])) }
            body.append(.object(["type": .string("FactSet"), "facts": .array(facts)]))
            for error in shownErrors { body.append(.object(["type": .string("TextBlock"), "wrap": .bool(true), "text": .string(error)])) }
            let ids = messageIDs.prefix(10).map { id in messageLink(id).map { "[\(id)](\($0))" } ?? id }
            if !ids.isEmpty {
                body.append(
                    .object([
                        "type": .string("TextBlock"), "wrap": .bool(true), "isSubtle": .bool(true),
                        "text": .string("Messages: " + ids.joined(separator: ", ")),
                    ]))
            }
            var card: [String: JSONValue] = [
                "$schema": .string("http://adaptivecards.io/schemas/adaptive-card.json"), "type": .string("AdaptiveCard"), "version": .string("1.4"),
                "body": .array(body),
            ]
            if let link = integrationLink {
                card["actions"] = .array([
                    .object(["type": .string("Action.OpenUrl"), "title": .string("Open in Switchboard"), "url": .string(link)])
                ])
            }
            return .object([
                "type": .string("message"),
                "attachments": .array([
                    .object(["contentType": .string("application/vnd.microsoft.card.adaptive"), "contentUrl": .null, "content": .object(card)])
                ]),
            ])
        case .webhook, .email:
            var fields: [String: JSONValue] = [
                "alert": .string(rule), "integration": .string(integration), "dead_letters": .int(Int64(deadLetters)),
                "failed_attempts": .int(Int64(failedAttempts)), "summary": .string(summary),
                "last_error": lastError.map(JSONValue.string) ?? .null, "last_status": lastStatus.map { .int(Int64($0)) } ?? .null,
                "errors": .array(errors.map(JSONValue.string)), "messages": .array(messageIDs.map(JSONValue.string)),
                "link": integrationLink.map(JSONValue.string) ?? .null,
            ]
            if let backlog { fields["backlog"] = .int(Int64(backlog)) }
            return .object(fields)
        }
    }
}
