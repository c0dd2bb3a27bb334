import Foundation
import SwitchboardModel

/// `switchboard diff REF`: what changed between two copies of a workspace (the one at a git ref
/// and the working tree), field by field, with the impact of each change.
public enum WorkspaceDiff {
    /// One thing added, removed or changed.
    public struct Change: Sendable {
        public enum Kind: String, Sendable {
            case added, removed, changed
            /// A design decision's style, choice or reason changed: a change board wants it on its own line.
            case decisionChanged = "decision changed"
            case exceptionAdded = "new exception"
            case exceptionRemoved = "exception withdrawn"
            /// The plan's figures for a system moved: requests per window, each limit's use, the entitlement.
            case capacityChanged = "capacity changed"
        }
        public enum Subject: String, Sendable { case system, integration, goal, setting }
        public var kind: Kind
        public var subject: Subject
        public var id: String
        /// For `changed`: each field that differs, as `field: old → new` (`(none)` when missing).
        public var fields: [(path: String, old: String?, new: String?)]
        /// Integrations affected, with the path downstream: what the change may break.
        public var impact: [String]
    }

    /// Compares the workspace files in `old` with those in `new`. The newer workspace is loaded
    /// (without secrets) for the impact; when it does not load, changes are listed without it.
    public static func compare(old: URL, new: URL, registry: ConnectorRegistry) -> [Change] {
        let before = Snapshot(directory: old), after = Snapshot(directory: new)
        let workspace = Workspace.loadForReview(directory: new, registry: registry).workspace
        let previous = Workspace.loadForReview(directory: old, registry: registry).workspace
        var changes: [Change] = []
        func compare(_ subject: Change.Subject, _ lhs: [String: [String: String]], _ rhs: [String: [String: String]]) {
            for id in Set(lhs.keys).union(rhs.keys).sorted() {
                let kind: Change.Kind
                var fields: [(String, String?, String?)] = []
                switch (lhs[id], rhs[id]) {
                case (nil, let b?):
                    kind = .added
                    // An added or removed integration is its file; anything else is shown in full.
                    if subject != .integration { fields = b.keys.sorted().map { ($0, nil, b[$0]) } }
                case (let a?, nil):
                    kind = .removed
                    if subject != .integration { fields = a.keys.sorted().map { ($0, a[$0], nil) } }
                case (let a?, let b?):
                    for path in Set(a.keys).union(b.keys).sorted() where a[path] != b[path] { fields.append((path, a[path], b[path])) }
                    guard !fields.isEmpty else { continue }
                    kind = .changed
                default: continue
                }
                changes.append(
                    Change(
                        kind: kind, subject: subject, id: id, fields: fields,
                        impact: impact(subject, id, in: kind == .removed ? previous : workspace)))
            }
        }
        compare(.system, before.systems, after.systems)
        compare(.integration, before.integrations, after.integrations)
        changes += decisions(previous, workspace)
        compare(.goal, before.goals, after.goals)
        compare(.setting, before.settings, after.settings)
        changes += capacity(previous, workspace)
        return changes
    }

    /// Each system whose plan moved: peak requests per window, each limit's use (with its share)
    /// and the daily figures, before and after, so a change board sees what a change costs.
    static func capacity(_ old: Workspace?, _ new: Workspace?) -> [Change] {
        guard let old, let new else { return [] }
        let before = Dictionary(Planner.plan(old).map { ($0.system, $0) }) { a, _ in a }
        var changes: [Change] = []
        for plan in Planner.plan(new) {
            let was = before[plan.system]
            var fields: [(String, String?, String?)] = []
            func figure(_ value: Double?) -> String? { value.map(PlanOutput.number) }
            if was?.peakRequestsPerWindow != plan.peakRequestsPerWindow {
                fields.append(("requests per window at peak", figure(was?.peakRequestsPerWindow), figure(plan.peakRequestsPerWindow)))
            }
            if was?.requestsPerDay != plan.requestsPerDay {
                fields.append(("requests per day", figure(was?.requestsPerDay), figure(plan.requestsPerDay)))
            }
            for use in plan.limits {
                let previous = was?.limits.first { $0.name == use.name }
                guard previous?.used != use.used || previous?.allowed != use.allowed else { continue }
                fields.append(
                    (
                        use.name, previous.map { "\(PlanOutput.number($0.used)) (\(PlanOutput.percent($0.share)))" },
                        "\(PlanOutput.number(use.used)) (\(PlanOutput.percent(use.share)))"
                    ))
            }
            if !fields.isEmpty {
                let over = plan.overToday.map { ["now over its \($0.name): \(PlanOutput.percent($0.share))"] } ?? []
                changes.append(Change(kind: .capacityChanged, subject: .system, id: plan.system, fields: fields, impact: over))
            }
        }
        return changes
    }

    /// Decisions and exceptions that changed in integrations present on both sides.
    static func decisions(_ old: Workspace?, _ new: Workspace?) -> [Change] {
        guard let old, let new else { return [] }
        var changes: [Change] = []
        for integration in new.integrations {
            guard let before = old.integration(integration.id) else { continue }
            let was = before.design, now = integration.design
            var fields: [(String, String?, String?)] = []
            if was?.style != now?.style { fields.append(("design.style", was?.style?.rawValue, now?.style?.rawValue)) }
            if was?.chosen != now?.chosen { fields.append(("design.chosen", was?.chosen, now?.chosen)) }
            if was?.reason != now?.reason { fields.append(("design.reason", was?.reason, now?.reason)) }
            if !fields.isEmpty {
                changes.append(Change(kind: .decisionChanged, subject: .integration, id: integration.id, fields: fields, impact: []))
            }
            let oldExceptions = Set((was?.exceptions ?? []).map(\.principle)), newExceptions = (now?.exceptions ?? [])
            for exception in newExceptions where !oldExceptions.contains(exception.principle) {
                changes.append(
                    Change(
                        kind: .exceptionAdded, subject: .integration, id: integration.id,
                        fields: [("principle", nil, exception.principle), ("reason", nil, exception.reason), ("approver", nil, exception.approver)],
                        impact: []))
            }
            for principle in oldExceptions.subtracting(newExceptions.map(\.principle)).sorted() {
                changes.append(
                    Change(kind: .exceptionRemoved, subject: .integration, id: integration.id, fields: [("principle", principle, nil)], impact: []))
            }
        }
        return changes
    }

    static func impact(_ subject: Change.Subject, _ id: String, in workspace: Workspace?) -> [String] {
        guard let workspace else { return [] }
        switch subject {
        case .system:
            return Impact.analyse(Impact.Subject(system: id), in: workspace).map { touch in
                "\(touch.integration) \(touch.way.rawValue) it" + touch.downstream.map { "; downstream " + $0.joined(separator: " → ") }.joined()
            }
        case .integration:
            guard let integration = workspace.integration(id) else { return [] }
            let paths = Impact.downstream(of: integration, in: workspace)
            return ["writes \(integration.target.system)"] + paths.map { "downstream: " + $0.joined(separator: " → ") }
        case .goal:
            return workspace.integrations.filter { $0.alignsWith.contains(id) }.map { "\($0.id) aligns with it" }
        case .setting:
            return []
        }
    }

    /// Markdown for a pull-request comment.
    public static func markdown(_ changes: [Change], ref: String) -> String {
        guard !changes.isEmpty else { return "No workspace changes since `\(ref)`.\n" }
        var lines = ["## Workspace changes since `\(ref)`", ""]
        for change in changes {
            lines.append("- **\(change.kind.rawValue)** \(change.subject.rawValue) `\(change.id)`")
            for field in change.fields {
                lines.append("  - `\(field.path)`: \(field.old.map { "`\($0)`" } ?? "(none)") → \(field.new.map { "`\($0)`" } ?? "(none)")")
            }
            for line in change.impact { lines.append("  - impact: \(line)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func text(_ changes: [Change], ref: String) -> String {
        guard !changes.isEmpty else { return "no workspace changes since \(ref)\n" }
        var lines: [String] = []
        for change in changes {
            lines.append("\(change.kind.rawValue) \(change.subject.rawValue) \(change.id)")
            for field in change.fields { lines.append("  \(field.path): \(field.old ?? "(none)") → \(field.new ?? "(none)")") }
            for line in change.impact { lines.append("  impact: \(line)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A workspace's files flattened to dotted field paths, by system, integration, goal and setting.
struct Snapshot {
    var systems: [String: [String: String]] = [:]
    var integrations: [String: [String: String]] = [:]
    var goals: [String: [String: String]] = [:]
    var settings: [String: [String: String]] = [:]

    init(directory: URL) {
        let sink = DiagnosticSink()
        if let text = try? String(contentsOf: directory.appendingPathComponent("switchboard.yaml"), encoding: .utf8),
            case .object(let root)? = YAMLValue.document(text, file: "switchboard.yaml", sink: sink)?.json()
        {
            for (key, value) in root {
                switch key {
                case "systems", "goals":
                    guard case .array(let items) = value else { continue }
                    for item in items {
                        let id = item["id"]?.text ?? "?"
                        if key == "systems" { systems[id] = Self.flatten(item) } else { goals[id] = Self.flatten(item) }
                    }
                default:
                    settings[key] = Self.flatten(value, prefix: key)
                }
            }
        }
        let folder = directory.appendingPathComponent("integrations")
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8),
                let document = YAMLValue.document(text, file: name, sink: sink)?.json()
            else { continue }
            integrations[document["id"]?.text ?? name] = Self.flatten(document)
        }
    }

    /// `{a: {b: 1}, c: [x, y]}` → `a.b: 1`, `c[0]: x`, `c[1]: y`.
    static func flatten(_ value: JSONValue, prefix: String = "") -> [String: String] {
        switch value {
        case .object(let fields):
            return fields.reduce(into: [:]) { result, field in
                result.merge(flatten(field.value, prefix: prefix.isEmpty ? field.key : "\(prefix).\(field.key)")) { $1 }
            }
        case .array(let items):
            return items.enumerated().reduce(into: [:]) { result, item in
                result.merge(flatten(item.element, prefix: "\(prefix)[\(item.offset)]")) { $1 }
            }
        default:
            return [prefix: redacted(value.text, at: prefix)]
        }
    }

    /// A value the diff may show: a secret written inline (a `secret` field, a credential
    /// header, a credential in a query string) is redacted; references are shown as written.
    static func redacted(_ text: String, at path: String) -> String {
        let key = String(path.split(separator: ".").last ?? "")
        if (key == "secret" || key == "client_secret" || SecretResolver.isSensitiveHeader(key)), !SecretResolver.containsReference(text) {
            return Secret.redacted
        }
        return SecretResolver.redactingQueryCredentials(text, keeping: SecretResolver.containsReference).text
    }
}
