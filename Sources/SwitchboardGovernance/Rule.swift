import SwitchboardModel

/// One strategy-review rule of `switchboard check`: a stable id, the item of Microsoft's
/// integration strategy checklist it serves, its default severity and how to fix what it finds.
public struct Rule: Sendable, Hashable {
    public typealias Severity = CheckSettings.Severity

    /// Stable id, for example `SB101`; never reused for another rule.
    public var id: String
    /// Short kebab-case name, for example `goal-documented`.
    public var name: String
    /// The checklist item it serves, in the checklist's words.
    public var checklist: String
    public var severity: Severity
    /// What the rule asks, in one sentence.
    public var summary: String
    /// How to fix a finding, in one sentence.
    public var fix: String
}

/// Every rule, in id order. docs/governance.md lists them; a test keeps the two in step.
public enum Rules {
    public static let all: [Rule] = [
        Rule(
            id: "SB000", name: "valid-workspace", checklist: "Version everything", severity: .error,
            summary: "The workspace loads: every field known, every reference declared, every value of the right type.",
            fix: "Correct the field the message names; `switchboard validate` reports the same."),
        Rule(
            id: "SB101", name: "goal-documented", checklist: "Document each integration's business goal and benefits", severity: .warning,
            summary: "Every integration says its business goal.",
            fix: "Add `goal:` with one sentence on what the business gains."),
        Rule(
            id: "SB102", name: "benefits-documented", checklist: "Document each integration's business goal and benefits", severity: .warning,
            summary: "Every integration lists its benefits.",
            fix: "Add `benefits:` with the outcomes stakeholders will see."),
        Rule(
            id: "SB103", name: "owner-documented", checklist: "Document each integration's owner and stakeholders", severity: .warning,
            summary: "Every integration names its owner and its stakeholders.",
            fix: "Add `owner:` (who answers for it) and `stakeholders:` (who depends on it)."),
        Rule(
            id: "SB104", name: "aligned-with-goals", checklist: "Align each integration with the organisation's goals", severity: .warning,
            summary: "Every integration names the organisation goals (declared in switchboard.yaml) it serves.",
            fix: "Add `aligns_with:` with ids from `goals:` in switchboard.yaml."),
        Rule(
            id: "SB105", name: "system-owner", checklist: "Document each integration's owner and stakeholders", severity: .warning,
            summary: "Every system names its owner: who to call when it is down or its limits change.",
            fix: "Add `owner:` to the system in switchboard.yaml."),
        Rule(
            id: "SB110", name: "system-location", checklist: "Keep an overview of systems and mind the cloud/on-premises boundary", severity: .error,
            summary: "Every system says whether it runs in the cloud or on premises.",
            fix: "Add `location: cloud` or `location: on-premises` to the system."),
        Rule(
            id: "SB111", name: "boundary-crossing", checklist: "Mind the cloud/on-premises boundary", severity: .warning,
            summary: "An integration between a cloud and an on-premises system says how it crosses the boundary.",
            fix: "Add `boundary_crossing:` naming the gateway, relay or network path and who runs it."),
        Rule(
            id: "SB113", name: "webhook-registration", checklist: "Keep an overview of systems and integration points", severity: .warning,
            summary: "A webhook registered per table (Dataverse) names the table and the messages it is registered for.",
            fix: "Add `table: accounts` and `messages: [Create, Update]` to `source.webhook`, as the webhook's registration says."),
        Rule(
            id: "SB120", name: "sync-justified", checklist: "Favour asynchronous messaging", severity: .error,
            summary: "A synchronous integration carries a written justification.",
            fix: "Make it `pattern: async`, or add `sync_justification:` saying why the caller must wait."),
        Rule(
            id: "SB130", name: "alert-coverage", checklist: "Use middleware with monitoring, audit, notifications and alerts", severity: .warning,
            summary: "Every integration is covered by an alert rule on dead letters or errors.",
            fix:
                "Add an entry to `alerts:` in switchboard.yaml with `on: [dead_letters]` whose `integrations` include it (or omit `integrations` for all)."
        ),
        Rule(
            id: "SB140", name: "retry-policy", checklist: "Keep integrations available and recoverable", severity: .warning,
            summary:
                "Retries and the dead-letter policy are present and sane: at least one retry, a backoff that grows, an attempt timeout under five minutes.",
            fix: "Set `delivery.max_attempts` between 2 and 100, `backoff.max` at least `backoff.initial`, and `timeout` at most 5m."),
        Rule(
            id: "SB150", name: "idempotent-write", checklist: "Fit each pattern to the target (at-least-once delivery)", severity: .warning,
            summary: "An at-least-once target is written idempotently: an upsert on a key, PUT or DELETE, or an idempotency key the target honours.",
            fix:
                "Use `operation: upsert` with a key, `method: PUT`, or send an `Idempotency-Key` header (the hub's `X-Switchboard-Message-Id` is the same on every attempt)."
        ),
        Rule(
            id: "SB160", name: "volumes-declared", checklist: "Fit each pattern to volumes and frequency", severity: .warning,
            summary: "Every integration declares its volumes: messages per day and at the peak minute.",
            fix: "Add `volumes: { per_day: N, peak_per_minute: N, payload_bytes: N }`."),
        Rule(
            id: "SB161", name: "slo-declared", checklist: "Fit each pattern to volumes and frequency", severity: .note,
            summary: "Every integration declares how soon a message must be delivered.",
            fix: "Add `slo: { delivery_latency: 5m }`."),
        Rule(
            id: "SB170", name: "fits-limits", checklist: "Fit each pattern to the target's service protection limits and entitlements",
            severity: .error,
            summary:
                "The declared volumes of every integration writing to or polling a system fit its limits and entitlements, with 20% to spare (the arithmetic of `plan`); the finding names any integration over a limit on its own.",
            fix:
                "Batch writes (`batch_size`), add application users (`more_users`), spread the load, or raise the limits the system states; `switchboard plan` shows what fits."
        ),
        Rule(
            id: "SB171", name: "limits-declared", checklist: "Fit each pattern to the target's service protection limits and entitlements",
            severity: .warning,
            summary:
                "A system that integrations write to or poll states its limits (or its kind documents them), so `plan` can say whether they fit.",
            fix:
                "Add `limits:` to the system (`max_requests`, `window`, `requests_per_day`, `time_per_record`, ...) from its owner or its documentation."
        ),
        Rule(
            id: "SB172", name: "cost-declared", checklist: "Know the operating cost", severity: .note,
            summary: "When the landscape declares costs, every system in use has a cost model, so the total leaves none out.",
            fix: "Add `cost:` to the system (`fixed`, `per_request`, `per_record`, ...), or `fixed: 0` when it costs nothing per use."),
        Rule(
            id: "SB180", name: "needless-replication", checklist: "Avoid needless replication of data", severity: .warning,
            summary: "An integration reading whole Dataverse records passes on only the fields it uses.",
            fix: "Add `select:` to a change-tracking source, or a `map` step that keeps only the fields the target needs."),
        Rule(
            id: "SB190", name: "secret-inline", checklist: "Secure the integration", severity: .error,
            summary: "No secret is written in a workspace file; secrets are references.",
            fix: "Write `${env:NAME}` or `${file:PATH}` and keep the value outside git."),
        Rule(
            id: "SB191", name: "environment-connection", checklist: "Plan environments and keep them consistent", severity: .warning,
            summary: "Every system the hub sends to or reads from has a connection in every declared environment.",
            fix: "Add the missing environment under the system's `connections:`."),
        Rule(
            id: "SB195", name: "tested", checklist: "Test under realistic conditions", severity: .warning,
            summary: "Every integration has at least one test case.",
            fix: "Add `tests:` with an input and the request it must produce; `switchboard test` runs them."),
        Rule(
            id: "SB200", name: "design-recorded", checklist: "Align each integration's design with the integration architecture", severity: .warning,
            summary:
                "Every integration records its design decision: its style, the options considered with benefits and drawbacks, the one chosen and why.",
            fix: "Add `design:` with `style`, at least two `options`, `chosen` and `reason`."),
        Rule(
            id: "SB201", name: "chosen-among-options", checklist: "State the options and benefits of each way to integrate", severity: .error,
            summary: "The chosen option is one of the options the decision lists.",
            fix: "Make `design.chosen` the `name` of one of `design.options`, or add the option that was chosen."),
        Rule(
            id: "SB202", name: "principle-kept", checklist: "Align each integration's design with the integration architecture", severity: .error,
            summary: "An integration keeps every architecture principle of the landscape, or records an exception with its reason and approver.",
            fix: "Change the design, or add `design.exceptions: [{ principle: ID, reason, approver }]`."),
        Rule(
            id: "SB203", name: "exception-approved", checklist: "Align each integration's design with the integration architecture", severity: .error,
            summary: "Every exception to a principle says why and who approved it.",
            fix: "Give the exception a `reason` and an `approver`."),
    ]

    public static func rule(_ id: String) -> Rule? { all.first { $0.id == id } }
}
