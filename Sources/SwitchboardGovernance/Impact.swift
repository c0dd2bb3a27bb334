import SwitchboardModel

/// `switchboard impact system[.table[.column]]`: the integrations that read or write a system, a
/// table or a column, and everything downstream of them, with the path.
public enum Impact {
    /// What is asked about: a system, optionally one table (entity set, or a Dataverse logical
    /// name) and one column.
    public struct Subject: Sendable, Hashable, CustomStringConvertible {
        public var system: String
        public var table: String?
        public var column: String?

        /// `crm`, `crm.accounts`, `crm.accounts.name`; nil when empty.
        public init?(parsing text: String) {
            let parts = text.split(separator: ".", maxSplits: 2).map(String.init)
            guard let first = parts.first, !first.isEmpty else { return nil }
            system = first
            table = parts.count > 1 ? parts[1] : nil
            column = parts.count > 2 ? parts[2] : nil
        }

        public init(system: String, table: String? = nil, column: String? = nil) {
            self.system = system
            self.table = table
            self.column = column
        }

        public var description: String { [system, table, column].compactMap { $0 }.joined(separator: ".") }
    }

    /// One integration touching the subject, and what lies downstream of it.
    public struct Touch: Sendable {
        public enum Way: String, Sendable { case reads, writes }
        public var integration: String
        public var way: Way
        /// Why it counts, in words: `source.changes selects name`.
        public var reason: String
        /// Each path downstream, from this integration's target onwards:
        /// `["erp", "erp-to-bank", "bank"]`.
        public var downstream: [[String]]
    }

    public static func analyse(_ subject: Subject, in workspace: Workspace) -> [Touch] {
        var touches: [Touch] = []
        for integration in workspace.integrations {
            if let reason = reads(
                integration, subject, registry: workspace.registry, sourceKind: workspace.landscape.system(integration.source.system)?.kind)
            {
                touches.append(
                    Touch(integration: integration.id, way: .reads, reason: reason, downstream: downstream(of: integration, in: workspace)))
            }
            if let reason = writes(integration, subject) {
                touches.append(
                    Touch(integration: integration.id, way: .writes, reason: reason, downstream: downstream(of: integration, in: workspace)))
            } else if let reason = binds(integration, subject) {
                touches.append(
                    Touch(integration: integration.id, way: .reads, reason: reason, downstream: downstream(of: integration, in: workspace)))
            }
        }
        return touches
    }

    /// Paths from the integration's target through every integration that reads from it, and so on;
    /// a system already on the path ends it (a cycle is shown once). Where both sides name a
    /// Dataverse table, a reader of another table is not downstream.
    public static func downstream(of integration: Integration, in workspace: Workspace) -> [[String]] {
        var paths: [[String]] = []
        func table(written by: Integration) -> String? { by.target.settings.footprint.table }
        func walk(_ system: String, _ written: String?, _ path: [String], _ seen: Set<String>) {
            let readers = workspace.integrations.filter { reader in
                guard reader.source.system == system else { return false }
                if let written, let read = reader.source.poll?.settings.footprint.table { return sameTable(written, read) }
                return true
            }
            if readers.isEmpty { if path.count > 1 { paths.append(path) }; return }
            for reader in readers {
                let next = reader.target.system
                if seen.contains(next) {
                    paths.append(path + [reader.id, next + " (again)"])
                } else {
                    walk(next, table(written: reader), path + [reader.id, next], seen.union([next]))
                }
            }
        }
        walk(
            integration.target.system, table(written: integration), [integration.target.system],
            [integration.source.system, integration.target.system])
        return paths
    }

    static func reads(_ integration: Integration, _ subject: Subject, registry: ConnectorRegistry, sourceKind: String? = nil) -> String? {
        guard integration.source.system == subject.system else { return nil }
        var reason = "reads \(subject.system)"
        // Where the source's documents hold a record's columns; empty: anywhere.
        var recordFields: [String] = []
        if let table = subject.table {
            if let poll = integration.source.poll {
                let read = poll.settings.footprint
                guard let readTable = read.table, sameTable(readTable, table) else { return nil }
                reason = read.description
                recordFields = sourceKind.flatMap { registry.spec($0) }?.sources.first { $0.key == poll.key }?.recordFields ?? []
            } else if let webhook = integration.source.webhook, let format = registry.webhookFormat(webhook.format) {
                recordFields = format.recordFields
                if let registered = webhook.table {
                    // Registered for one table: it reads that one, not every table.
                    guard sameTable(registered, table) else { return nil }
                    reason =
                        "a webhook registered for \(registered)" + (webhook.messages.isEmpty ? "" : " (\(webhook.messages.joined(separator: ", ")))")
                } else {
                    reason = format.readsDescription + "; source.webhook.table does not say which, so it may be this one"
                }
            } else {
                return nil
            }
        }
        if let column = subject.column {
            if let read = integration.source.poll, read.settings.footprint.columns.contains(column) { return "source.\(read.key) selects \(column)" }
            let used = paths(integration).filter { path in
                let parts = path.split(whereSeparator: { ".[]$".contains($0) }).map(String.init)
                // A column of the record, not a field of that name further in (a lookup's name).
                guard !recordFields.isEmpty else { return parts.contains(column) }
                return parts.count >= 2 && recordFields.contains(parts[0]) && parts[1] == column
            }
            guard !used.isEmpty else { return nil }
            reason = "steps use \(used.sorted().joined(separator: ", "))"
        }
        return reason
    }

    /// A lookup the integration sets on its target (`COLUMN@odata.bind` built with `odata_bind`,
    /// or a `concat` starting with `/TABLE(`) makes it depend on the bound table: its writes fail
    /// when the referenced record is missing.
    static func binds(_ integration: Integration, _ subject: Subject) -> String? {
        guard integration.target.system == subject.system, let table = subject.table, subject.column == nil else { return nil }
        var found: [String] = []
        for step in integration.steps {
            guard case .map(let fields) = step else { continue }
            for (field, expression) in fields {
                switch expression {
                case .odataBind(let entitySet, _) where sameTable(entitySet, table): found.append(field)
                case .concat(let parts):
                    if case .constant(.string(let text))? = parts.first, text.hasPrefix("/"),
                        let open = text.firstIndex(of: "("), sameTable(String(text.dropFirst().prefix(upTo: open)), table)
                    {
                        found.append(field)
                    }
                default: continue
                }
            }
        }
        guard !found.isEmpty else { return nil }
        return "map binds \(found.sorted().joined(separator: ", ")) to \(table) (a lookup: a write fails when the record is missing)"
    }

    static func writes(_ integration: Integration, _ subject: Subject) -> String? {
        guard integration.target.system == subject.system else { return nil }
        var reason = "writes \(subject.system)"
        if let table = subject.table {
            let written = integration.target.settings.footprint
            guard written.table.map({ sameTable($0, table) }) ?? written.segments.contains(table) else { return nil }
            reason = written.description
        }
        if let column = subject.column {
            let fields = integration.steps.reduce(into: [String]()) { fields, step in
                if case .map(let mapped) = step { fields = mapped.map(\.field) }
            }
            let written = fields.filter { $0 == column || $0.hasPrefix(column + "@") || $0.hasPrefix(column + ".") }
            guard !written.isEmpty else { return nil }
            reason = "map writes \(written.joined(separator: ", "))"
        }
        return reason
    }

    /// An entity set and a logical name name the same table when one is the other, or its plural.
    static func sameTable(_ lhs: String, _ rhs: String) -> Bool {
        let a = lhs.lowercased(), b = rhs.lowercased()
        return a == b || a == b + "s" || b == a + "s" || a == b + "es" || b == a + "es"
            || (a.hasSuffix("ies") && String(a.dropLast(3)) + "y" == b) || (b.hasSuffix("ies") && String(b.dropLast(3)) + "y" == a)
    }

    /// Every JSON path the integration's steps read.
    static func paths(_ integration: Integration) -> [String] {
        var found: [String] = []
        func expression(_ value: MapExpression) {
            switch value {
            case .path(let path): found.append(path.description)
            case .constant: break
            case .withDefault(let inner, _), .lower(let inner), .upper(let inner), .date(let inner, _), .lookup(let inner, _, _),
                .odataLiteral(let inner):
                expression(inner)
            case .concat(let parts): parts.forEach(expression)
            case .odataBind(_, let key): key.forEach { expression($0.value) }
            }
        }
        func condition(_ value: Condition) {
            switch value {
            case .compare(let path, _): found.append(path.description)
            case .all(let list), .any(let list): list.forEach(condition)
            case .not(let inner): condition(inner)
            }
        }
        for step in integration.steps {
            switch step {
            case .map(let fields): fields.forEach { expression($0.value) }
            case .filter(let test): condition(test)
            }
        }
        return found
    }

    /// The analysis as text: one block per integration touching the subject.
    public static func text(_ subject: Subject, _ touches: [Touch]) -> String {
        guard !touches.isEmpty else { return "no integration reads or writes \(subject)\n" }
        var lines = ["\(subject): \(touches.count) integration\(touches.count == 1 ? "" : "s")"]
        for touch in touches {
            lines.append("  \(touch.way.rawValue): \(touch.integration) (\(touch.reason))")
            for path in touch.downstream { lines.append("    downstream: \(touch.integration) → " + path.joined(separator: " → ")) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func json(_ subject: Subject, _ touches: [Touch]) -> JSONValue {
        .object([
            "subject": .string(subject.description),
            "integrations": .array(
                touches.map { touch in
                    .object([
                        "integration": .string(touch.integration), "way": .string(touch.way.rawValue), "reason": .string(touch.reason),
                        "downstream": .array(touch.downstream.map { .array($0.map(JSONValue.string)) }),
                    ])
                }),
        ])
    }
}
