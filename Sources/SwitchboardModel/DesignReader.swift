extension LandscapeReader {
    /// `principles[]`: `{ id, title }` and one of `default_pattern`, `sync_allowed_when`,
    /// `boundary_via`, `preferred_styles`, `no_personal_data_to` (with `personal_fields`).
    func readPrinciple(_ item: YAMLValue) -> Principle? {
        guard let map = item.mapping() else { return nil }
        let kinds = ["default_pattern", "sync_allowed_when", "boundary_via", "preferred_styles", "no_personal_data_to"]
        map.rejectUnknownKeys(Set(["id", "title", "personal_fields"] + kinds))
        let id = map.requiredString("id")
        let title = map.requiredString("title")
        let present = kinds.filter { map[$0] != nil }
        guard present.count == 1, let kind = present.first else {
            item.report(
                "\(map.path) must state exactly one of \(kinds.joined(separator: ", ")); it states \(present.isEmpty ? "none" : present.joined(separator: " and "))"
            )
            return nil
        }
        var rule: Principle.Rule?
        switch kind {
        case "default_pattern": rule = map["default_pattern"]?.choice(Integration.Pattern.self).map { .defaultPattern($0) }
        case "sync_allowed_when": rule = map.string("sync_allowed_when").map { .syncAllowedWhen($0) }
        case "boundary_via": rule = map["boundary_via"]?.stringList().map { .boundaryVia($0) }
        case "preferred_styles":
            var styles: [String: [DesignDecision.Style]] = [:]
            for entry in map["preferred_styles"]?.mapping()?.entries ?? [] {
                if registry.kind(entry.key) == nil {
                    sink.report(
                        entry.keyLocation,
                        "\(entry.value.path) names kind '\(entry.key)', which is not a system kind (\(registry.kinds.map(\.spec.kind).joined(separator: ", ")))"
                    )
                }
                styles[entry.key] = (entry.value.sequence() ?? []).compactMap { $0.choice(DesignDecision.Style.self) }
            }
            rule = .preferredStyles(styles)
        default:
            let systems = map["no_personal_data_to"]?.stringList() ?? []
            let fields = map.required("personal_fields")?.stringList() ?? []
            rule = .noPersonalDataTo(systems: systems, fields: fields)
        }
        guard let id, let title, let rule else { return nil }
        return Principle(id: id, title: title, rule: rule, declaredAt: item.location)
    }
}

extension IntegrationReader {
    /// `design: { style, options: [{ name, style, benefits, drawbacks }], chosen, reason,
    /// exceptions: [{ principle, reason, approver }] }`; `check` judges what is missing.
    func readDesign(_ value: YAMLValue) -> DesignDecision? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["style", "options", "chosen", "reason", "exceptions"])
        let options: [DesignDecision.Option] = (map["options"]?.sequence() ?? []).compactMap { item in
            guard let option = item.mapping() else { return nil }
            option.rejectUnknownKeys(["name", "style", "benefits", "drawbacks"])
            guard let name = option.requiredString("name") else { return nil }
            return DesignDecision.Option(
                name: name, style: option["style"]?.choice(DesignDecision.Style.self),
                benefits: option["benefits"]?.stringList() ?? [], drawbacks: option["drawbacks"]?.stringList() ?? [])
        }
        let exceptions: [DesignDecision.Exception] = (map["exceptions"]?.sequence() ?? []).compactMap { item in
            guard let exception = item.mapping() else { return nil }
            exception.rejectUnknownKeys(["principle", "reason", "approver"])
            guard let principle = exception.requiredString("principle") else { return nil }
            if !landscape.principles.contains(where: { $0.id == principle }) {
                exception["principle"]?.report(
                    "\(exception.path).principle names '\(principle)', which is not declared in principles in switchboard.yaml")
            }
            return DesignDecision.Exception(
                principle: principle, reason: exception.string("reason"), approver: exception.string("approver"), declaredAt: item.location)
        }
        return DesignDecision(
            style: map["style"]?.choice(DesignDecision.Style.self), options: options, chosen: map.string("chosen"),
            reason: map.string("reason"), exceptions: exceptions, declaredAt: value.location)
    }
}
