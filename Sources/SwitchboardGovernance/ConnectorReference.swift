import SwitchboardModel

/// The connector reference, written from the registry's specs: `switchboard connectors` lists the
/// kinds, `switchboard connectors KIND` prints one, and docs/connectors.md is the whole of it
/// (a test keeps the file equal to what this writes).
public enum ConnectorReference {
    /// One line per kind: its name, what it can be, and its summary.
    public static func list(_ registry: ConnectorRegistry) -> String {
        let width = registry.specs.map(\.kind.count).max() ?? 0
        let rolesWidth = registry.specs.map { roles($0).count }.max() ?? 0
        return registry.specs.map { spec in
            spec.kind.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                + roles(spec).padding(toLength: rolesWidth + 2, withPad: " ", startingAt: 0) + spec.summary
        }.joined(separator: "\n") + "\n"
    }

    /// The whole reference as Markdown.
    public static func markdown(_ registry: ConnectorRegistry) -> String {
        var lines = [
            "# Connectors",
            "",
            "Generated from the connector specs (`switchboard connectors KIND` prints the same); do not edit by hand.",
            "A system's `kind` names one of these. A connection's fields go under `systems[].connections.ENV`, a target's under",
            "`target.KIND`, a polled source's under `source.KEY`. Every integration may also receive a webhook (`source.webhook`).",
            "",
            "| kind | can be | summary |",
            "|---|---|---|",
        ]
        lines += registry.specs.map { "| [`\($0.kind)`](#\($0.kind)) | \(roles($0)) | \($0.summary.replacingOccurrences(of: "|", with: "\\|")) |" }
        for spec in registry.specs { lines += [""] + kind(spec) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One kind's reference as Markdown.
    public static func kind(_ spec: ConnectorSpec) -> [String] {
        var lines = ["## \(spec.kind)", "", "**\(spec.title)**: \(spec.summary)", "", spec.description, ""]
        lines.append("- Can be: \(roles(spec)).")
        if let location = spec.usualLocation { lines.append("- Usually runs: \(location.rawValue).") }
        if !spec.idempotency.isEmpty { lines.append("- Repeated writes: \(spec.idempotency)") }
        if spec.canBeTarget || spec.canBePolled { lines.append("- Limits by default: \(spec.limits).") }
        if !spec.connection.isEmpty { lines += ["", "### Connection (`systems[].connections.ENV`)", ""] + table(spec.connection) }
        if let target = spec.target { lines += ["", "### Target (`target.\(spec.kind)`)", ""] + table(target) }
        for source in spec.sources {
            lines +=
                ["", "### Polled source (`source.\(source.key)`)", "", "It \(source.summary); the position kept is \(source.position).", ""]
                + table(source.fields)
        }
        for format in spec.webhookFormats {
            lines += [
                "", "### Webhook format (`source.webhook.format: \(format.name)`)", "",
                format.summary
                    + (format.defaultIdempotencyKey.map { " Default idempotency key: `\($0)`." } ?? ""),
            ]
        }
        if !spec.references.isEmpty { lines += ["", "Documented behaviour followed:"] + spec.references.map { "- <\($0)>" } }
        return lines
    }

    static func roles(_ spec: ConnectorSpec) -> String {
        var roles: [String] = []
        if spec.canBeTarget { roles.append("target") }
        if spec.canBePolled { roles.append("polled source") }
        if !spec.webhookFormats.isEmpty { roles.append("webhook format") }
        return roles.isEmpty ? "landscape only" : roles.joined(separator: ", ")
    }

    static func table(_ fields: [FieldSpec], prefix: String = "") -> [String] {
        var lines = ["| field | type | required | default | what it is | example |", "|---|---|---|---|---|---|"]
        lines += rows(fields, prefix: prefix)
        return lines
    }

    static func rows(_ fields: [FieldSpec], prefix: String) -> [String] {
        fields.flatMap { field -> [String] in
            let cells = [
                "`\(prefix)\(field.name)`", field.type.name, field.required ? "yes" : "", field.defaultValue.map { "`\($0)`" } ?? "",
                field.doc, field.example.map { "`\($0)`" } ?? "",
            ]
            let row =
                "| "
                + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
                + " |"
            return [row] + rows(field.children, prefix: "\(prefix)\(field.name)[].")
        }
    }
}
