import SwitchboardModel

/// `check`'s report as text, JSON or SARIF 2.1.0.
public enum CheckOutput {
    public enum Format: String, Sendable, CaseIterable { case text, json, sarif }

    public static func render(_ report: CheckReport, as format: Format) -> String {
        switch format {
        case .text: text(report)
        case .json: json(report).pretty() + "\n"
        case .sarif: sarif(report).pretty() + "\n"
        }
    }

    /// `file:line:column: severity SB101 goal-documented: message. Fix: ...`, suppressed findings
    /// after the others with their reasons, and a summary line.
    static func text(_ report: CheckReport) -> String {
        var lines = report.findings.filter(\.counts).map { finding in
            "\(finding.location): \(finding.severity.rawValue) \(finding.rule.id) \(finding.rule.name): \(finding.message). Fix: \(finding.rule.fix)"
        }
        for finding in report.findings where !finding.counts {
            lines.append(
                "\(finding.location): suppressed \(finding.rule.id) \(finding.rule.name): \(finding.message) (reason: \(finding.suppressed ?? ""))")
        }
        lines.append(
            "\(report.count(.error)) error\(report.count(.error) == 1 ? "" : "s"), \(report.count(.warning)) warning\(report.count(.warning) == 1 ? "" : "s"), "
                + "\(report.count(.note)) note\(report.count(.note) == 1 ? "" : "s"), \(report.suppressedCount) suppressed")
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ report: CheckReport) -> JSONValue {
        .object([
            "findings": .array(
                report.findings.map { finding in
                    .object([
                        "rule": .string(finding.rule.id), "name": .string(finding.rule.name), "severity": .string(finding.severity.rawValue),
                        "message": .string(finding.message), "file": .string(finding.location.file), "line": .int(Int64(finding.location.line)),
                        "column": .int(Int64(finding.location.column)), "fix": .string(finding.rule.fix),
                        "checklist": .string(finding.rule.checklist),
                        "integration": finding.integration.map(JSONValue.string) ?? .null,
                        "suppressed": finding.suppressed.map(JSONValue.string) ?? .null,
                    ])
                }),
            "summary": .object([
                "errors": .int(Int64(report.count(.error))), "warnings": .int(Int64(report.count(.warning))),
                "notes": .int(Int64(report.count(.note))), "suppressed": .int(Int64(report.suppressedCount)),
            ]),
        ])
    }

    /// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html): one run,
    /// every rule in the driver, a result per finding; suppressed findings carry an external
    /// suppression with its justification, so code scanning shows them as dismissed.
    static func sarif(_ report: CheckReport) -> JSONValue {
        let rules = Rules.all
        func level(_ severity: Rule.Severity) -> String {
            switch severity {
            case .error: "error"
            case .warning: "warning"
            case .note: "note"
            case .off: "none"
            }
        }
        let results: [JSONValue] = report.findings.map { finding in
            var result: [String: JSONValue] = [
                "ruleId": .string(finding.rule.id),
                "ruleIndex": .int(Int64(rules.firstIndex { $0.id == finding.rule.id } ?? 0)),
                "level": .string(level(finding.severity)),
                "message": .object(["text": .string("\(finding.message). Fix: \(finding.rule.fix)")]),
                "locations": .array([
                    .object([
                        "physicalLocation": .object([
                            "artifactLocation": .object(["uri": .string(finding.location.file), "uriBaseId": .string("WORKSPACE")]),
                            "region": .object(["startLine": .int(Int64(finding.location.line)), "startColumn": .int(Int64(finding.location.column))]),
                        ])
                    ])
                ]),
            ]
            if let reason = finding.suppressed {
                result["suppressions"] = .array([.object(["kind": .string("external"), "justification": .string(reason)])])
            }
            return .object(result)
        }
        let driverRules: [JSONValue] = rules.map { rule in
            .object([
                "id": .string(rule.id), "name": .string(rule.name),
                "shortDescription": .object(["text": .string(rule.summary)]),
                "help": .object(["text": .string(rule.fix)]),
                "defaultConfiguration": .object(["level": .string(level(rule.severity))]),
                "properties": .object(["checklist": .string(rule.checklist)]),
            ])
        }
        return .object([
            "$schema": .string("https://json.schemastore.org/sarif-2.1.0.json"),
            "version": .string("2.1.0"),
            "runs": .array([
                .object([
                    "tool": .object([
                        "driver": .object([
                            "name": .string("switchboard check"),
                            "informationUri": .string("https://github.com/switchboard/switchboard/blob/main/docs/governance.md"),
                            "rules": .array(driverRules),
                        ])
                    ]),
                    "originalUriBaseIds": .object(["WORKSPACE": .object(["description": .object(["text": .string("The workspace folder checked")])])]
                    ),
                    "results": .array(results),
                ])
            ]),
        ])
    }
}
