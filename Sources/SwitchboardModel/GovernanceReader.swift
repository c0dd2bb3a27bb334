extension LandscapeReader {
    /// `alerts[]`: `{ id, on: [dead_letters, errors, backlog, source_failures, target_down, throttling], integrations: [ids] (default all), notify: { kind, url } }`.
    func readAlert(_ item: YAMLValue) -> AlertRule? {
        guard let map = item.mapping() else { return nil }
        map.rejectUnknownKeys(["id", "on", "integrations", "notify"])
        let id = map.requiredString("id")
        let conditions = (map.required("on")?.sequence() ?? []).compactMap { $0.choice(AlertRule.Condition.self) }
        let integrations = map["integrations"]?.stringList()
        var channel: AlertRule.Channel?
        var target: String?
        var resolvedTarget: String?
        if let notify = map.required("notify")?.mapping() {
            notify.rejectUnknownKeys(["kind", "url", "to"])
            channel = notify.required("kind")?.choice(AlertRule.Channel.self)
            if let field = notify["url"] ?? notify["to"], let text = field.string() {
                // A Teams or Slack webhook URL carries its own secret: it must be a reference.
                if channel != .email, !SecretResolver.containsReference(text) {
                    field.report(
                        "\(field.path) holds a secret written inline (a webhook URL is its own credential); write a reference such as ${env:NAME} instead",
                        rule: "SB190")
                }
                target = text
                // Not a problem when it cannot be resolved here: `check` runs without secrets, and a
                // hub whose alert address is not set says so when it starts.
                resolvedTarget = try? resolver.resolve(text)
                if resolvedTarget?.isEmpty == true { resolvedTarget = nil }
            }
        }
        guard let id, let channel else { return nil }
        return AlertRule(
            id: id, conditions: conditions, integrations: integrations, channel: channel, target: target, resolvedTarget: resolvedTarget,
            declaredAt: item.location)
    }

    /// `check: { rules: { SB101: { severity, reason } }, suppress: [{ rule, integration, reason }] }`.
    func readCheck(_ map: YAMLMapping) -> CheckSettings {
        map.rejectUnknownKeys(["rules", "suppress"])
        var settings = CheckSettings()
        for entry in map["rules"]?.mapping()?.entries ?? [] {
            guard let rule = entry.value.mapping() else { continue }
            rule.rejectUnknownKeys(["severity", "reason"])
            let severity = rule.required("severity")?.choice(CheckSettings.Severity.self)
            let reason = rule.requiredString("reason")
            if let severity, let reason { settings.overrides[entry.key] = .init(severity: severity, reason: reason) }
        }
        for item in map["suppress"]?.sequence() ?? [] {
            guard let suppression = item.mapping() else { continue }
            suppression.rejectUnknownKeys(["rule", "integration", "reason"])
            let rule = suppression.requiredString("rule")
            let reason = suppression.requiredString("reason")
            if let rule, let reason {
                settings.suppressions.append(.init(rule: rule, integration: suppression.string("integration"), reason: reason))
            }
        }
        return settings
    }

    /// `systems[].cost`: `{ per_request, per_record, per_gb_stored, per_node, nodes, fixed, currency }`.
    func readCost(_ value: YAMLValue) -> CostModel? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["per_request", "per_record", "per_gb_stored", "per_node", "nodes", "fixed", "currency"])
        var cost = CostModel()
        if let amount = map["per_request"]?.amount() { cost.perRequest = amount }
        if let amount = map["per_record"]?.amount() { cost.perRecord = amount }
        if let amount = map["per_gb_stored"]?.amount() { cost.perGBStored = amount }
        if let amount = map["per_node"]?.amount() { cost.perNode = amount }
        if let nodes = map["nodes"]?.int(min: 0) { cost.nodes = nodes }
        if let amount = map["fixed"]?.amount() { cost.fixed = amount }
        if let currency = map.string("currency") { cost.currency = currency }
        return cost
    }
}

extension YAMLValue {
    /// A number of at least zero (an amount of money).
    func amount() -> Double? {
        guard let value = double() else { return nil }
        if value < 0 { report("\(path) must be at least 0, not \(value)"); return nil }
        return value
    }
}
