/// Reads one `integrations/*.yaml` file into an `Integration`, checking it against the landscape.
struct IntegrationReader {
    let registry: ConnectorRegistry
    let landscape: Landscape
    let environment: String
    let resolver: SecretResolver
    let sink: DiagnosticSink

    /// Paths the hub's listener serves itself (health, metrics, the management API and the
    /// dashboard's pages and forms): a webhook there would be shadowed. The first are reserved
    /// as written, the second with everything below them.
    static let reservedPaths = ["/", "/healthz", "/readyz", "/metrics", "/login", "/logout", "/audit", "/landscape"]
    static let reservedPrefixes = ["/api", "/integrations", "/messages", "/dead-letters"]

    /// True when the hub serves `path` itself.
    static func isReserved(_ path: String) -> Bool {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        return reservedPaths.contains(trimmed) || reservedPrefixes.contains { trimmed == $0 || trimmed.hasPrefix($0 + "/") }
    }

    func read(_ root: YAMLValue) -> Integration? {
        guard let map = root.mapping() else { return nil }
        map.rejectUnknownKeys([
            "id", "title", "goal", "benefits", "aligns_with", "owner", "stakeholders", "pattern",
            "source", "steps", "target", "delivery", "volumes", "slo", "tests", "design",
            "sync_justification", "boundary_crossing", "idempotent",
        ])
        let id = map.requiredString("id")
        if let id, !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            map["id"]?.report("id '\(id)' may hold only letters, digits, '-' and '_'")
        }
        let title = map.requiredString("title")
        let alignsWith = map["aligns_with"]?.stringList() ?? []
        let goalIDs = alignsWith.isEmpty ? [] : Set(landscape.goals.map(\.id))
        for (index, goal) in alignsWith.enumerated() where !goalIDs.contains(goal) {
            (map["aligns_with"]?.sequence()?[index] ?? map.value).report(
                "aligns_with names goal '\(goal)', which is not declared in switchboard.yaml")
        }
        let source = map.required("source").flatMap(readSource)
        let steps = (map["steps"]?.sequence() ?? []).compactMap(StepReader.readStep)
        let target = map.required("target").flatMap(readTarget)
        let delivery = map["delivery"].flatMap(readDelivery) ?? DeliveryPolicy()
        let tests = (map["tests"]?.sequence() ?? []).compactMap(readTest)
        var idempotentReason: String?
        if let declared = map["idempotent"] {
            let reason = declared.mapping()?.string("reason")
            if let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty {
                idempotentReason = reason
            } else {
                declared.report(
                    "idempotent needs the reason a repeated delivery is harmless, such as idempotent: { reason: \"a tax calculation changes nothing\" }"
                )
            }
        }
        guard let id, let title, let source, let target else { return nil }
        var integration = Integration(
            id: id, title: title, goal: map.string("goal"), benefits: map["benefits"]?.stringList() ?? [],
            alignsWith: alignsWith, owner: map.string("owner"), stakeholders: map["stakeholders"]?.stringList() ?? [],
            pattern: map["pattern"]?.choice(Integration.Pattern.self) ?? .async,
            syncJustification: map.string("sync_justification"), boundaryCrossing: map.string("boundary_crossing"),
            design: map["design"].flatMap(readDesign),
            source: source, steps: steps, target: target, delivery: delivery,
            volumes: map["volumes"].flatMap(readVolumes), slo: map["slo"].flatMap(readSLO), tests: tests, file: root.file)
        integration.idempotentReason = idempotentReason
        return integration
    }

    /// Reports a system id that `switchboard.yaml` does not declare.
    private func checkSystem(_ field: YAMLValue?) -> String? {
        guard let field, let id = field.string() else { return nil }
        guard landscape.system(id) != nil else {
            field.report("\(field.path) '\(id)' is not declared in switchboard.yaml")
            return nil
        }
        return id
    }

    private func readSource(_ value: YAMLValue) -> Source? {
        guard let map = value.mapping() else { return nil }
        let polled = registry.kinds.flatMap { kind in kind.spec.sources.map { (kind: kind, spec: $0) } }
        map.rejectUnknownKeys(Set(["system", "webhook"] + polled.map(\.spec.key)))
        let system = checkSystem(map.required("system"))
        // Several kinds may offer a polled source of the same key (`changes`): the system's kind reads it.
        let given = Set(polled.map(\.spec.key)).filter { map[$0] != nil }.sorted()
        let keys = (map["webhook"] != nil ? ["webhook"] : []) + given
        if keys.count > 1 {
            map[keys[1]]?.report("\(map.path) has both \(keys[0]) and \(keys[1]); an integration has one source")
            return nil
        }
        let systemKind = registry.kind(of: system.flatMap { landscape.system($0) })
        let offering = polled.filter { $0.spec.key == given.first }
        if let (kind, spec) = offering.first(where: { $0.kind.spec.kind == systemKind?.spec.kind }) ?? offering.first, let field = map[spec.key] {
            guard let fields = ConfigFields(field, specs: spec.fields) else { return nil }
            let context = ReadContext(
                resolver: resolver, resolveSecrets: true, system: system,
                connection: system.flatMap { landscape.system($0)?.connections[environment] })
            // The source's own kind reads it, so its problems are reported even when the system is of another kind.
            guard let settings = kind.readSource(spec.key, fields, context: context) else { return nil }
            if let system, systemKind?.spec.kind != kind.spec.kind {
                field.report("\(field.path) \(spec.summary), but system '\(system)' is not of kind \(kind.spec.kind)")
            }
            return system.map { Source(system: $0, poll: PolledSource(key: spec.key, settings: settings)) }
        }
        guard let webhook = map["webhook"]?.mapping() ?? map.required("webhook")?.mapping() else { return nil }
        return readWebhook(webhook).flatMap { trigger in system.map { Source(system: $0, webhook: trigger) } }
    }

    private func readWebhook(_ webhook: YAMLMapping) -> WebhookTrigger? {
        webhook.rejectUnknownKeys(["path", "auth", "format", "body", "table", "messages"])
        let format = webhook["format"]?.choice(among: registry.webhookFormats) ?? "json"
        let registration = registry.kind(offeringWebhookFormat: format)?.spec.webhookFormats.first { $0.name == format }?.messages ?? []
        var messages: [String] = []
        if let field = webhook["table"] ?? webhook["messages"], registration.isEmpty {
            field.report("\(field.path) is only for a webhook format registered per table, such as format: dataverse")
        } else if let field = webhook["messages"] {
            for (index, message) in (field.stringList() ?? []).enumerated() {
                if let known = registration.first(where: { $0.lowercased() == message.lowercased() }) {
                    messages.append(known)
                } else {
                    (field.sequence()?[index] ?? field).report(
                        "\(field.path) names '\(message)'; a \(format) webhook is registered for \(registration.joined(separator: ", "))")
                }
            }
        }
        enum Body: String, CaseIterable { case object, any }
        let body = webhook["body"]?.choice(Body.self) ?? .object
        let path = webhook.requiredString("path")
        if let path {
            if !path.hasPrefix("/") || path.contains("?") || path.contains(" ") {
                webhook["path"]?.report("source.webhook.path must start with '/' and hold no spaces or query, like /hooks/orders")
            } else if Self.isReserved(path) {
                webhook["path"]?.report("source.webhook.path '\(path)' is reserved by the hub; use a path such as /hooks/orders")
            }
        }
        let auth = webhook.required("auth").flatMap(readAuthentication)
        guard let path, let auth else { return nil }
        var trigger = WebhookTrigger(path: path, authentication: auth, format: format, acceptsAnyBody: body == .any)
        trigger.table = registration.isEmpty ? nil : webhook.string("table")
        trigger.messages = messages
        return trigger
    }

    private func readAuthentication(_ value: YAMLValue) -> WebhookAuthentication? {
        guard let map = value.mapping() else { return nil }
        enum Kind: String, CaseIterable { case none, header, hmac, query, stripe }
        map.rejectUnknownKeys(["kind", "header", "parameter", "secret", "encoding", "tolerance"])
        guard let kind = map.required("kind")?.choice(Kind.self) else { return nil }
        if kind == .none { return WebhookAuthentication.none }
        let context = ReadContext(resolver: resolver, resolveSecrets: true)
        guard let secret = context.secret(map.required("secret"), requireValue: true) else { return nil }
        switch kind {
        case .none: return WebhookAuthentication.none
        case .header: return .sharedKey(header: map.string("header") ?? "X-Api-Key", secret: secret)
        case .hmac:
            return .hmacSHA256(
                header: map.string("header") ?? "X-Signature", secret: secret, encoding: map["encoding"]?.choice(SignatureEncoding.self) ?? .hex)
        case .query: return .queryKey(parameter: map.string("parameter") ?? "code", secret: secret)
        case .stripe:
            var tolerance = Duration.seconds(300)
            if let value = map["tolerance"]?.duration() {
                if value > .zero { tolerance = value } else { map["tolerance"]?.report("\(map.path).tolerance must be more than 0") }
            }
            return .timestampedHMAC(header: map.string("header") ?? "Stripe-Signature", secret: secret, tolerance: tolerance)
        }
    }

    private func readTarget(_ value: YAMLValue) -> Target? {
        guard let map = value.mapping() else { return nil }
        let targetKinds = registry.kinds.filter(\.spec.canBeTarget)
        map.rejectUnknownKeys(Set(["system"] + targetKinds.map(\.spec.kind)))
        let systemField = map.required("system")
        let system = checkSystem(systemField)
        let definition = system.flatMap { landscape.system($0) }
        let kind = registry.kind(of: definition)
        let connection = definition?.connections[environment]
        if let system, let definition, let kind {
            if !kind.spec.canBeTarget {
                systemField?.report(
                    "target.system '\(system)' is a \(definition.kind) system; this version delivers to \(registry.targetKindsInWords) systems only")
            } else if let address = kind.spec.addressField, connection?.address == nil {
                systemField?.report("target.system '\(system)' has no connection with a \(address) for environment '\(environment)'")
            }
        }
        // A key of another kind than the system's: say which one applies.
        if let kind, kind.spec.canBeTarget {
            for other in targetKinds where other.spec.kind != kind.spec.kind {
                guard let field = map[other.spec.kind] else { continue }
                field.report(
                    "target.\(other.spec.kind) does not apply to a\(kind.spec.title.first.map { "AEIOU".contains($0) } == true ? "n" : "") \(kind.spec.title) system; write target.\(kind.spec.kind)"
                )
            }
        }
        guard let kind, kind.spec.canBeTarget, let system else { return nil }
        guard let field = map.required(kind.spec.kind), let fields = ConfigFields(field, specs: kind.spec.target ?? []) else { return nil }
        let context = ReadContext(resolver: resolver, resolveSecrets: true, system: system, connection: connection)
        return kind.readTarget(fields, context: context).map { Target(system: system, kind: kind.spec.kind, settings: $0) }
    }

    private func readDelivery(_ value: YAMLValue) -> DeliveryPolicy? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["max_attempts", "backoff", "timeout", "ordering_key", "idempotency_key", "idempotency_window", "concurrency"])
        var policy = DeliveryPolicy()
        if let attempts = map["max_attempts"]?.int(min: 1) { policy.maxAttempts = attempts }
        if let backoff = map["backoff"]?.mapping() {
            backoff.rejectUnknownKeys(["initial", "max", "multiplier", "jitter"])
            if let initial = backoff["initial"]?.duration() { policy.backoff.initial = initial }
            if let maximum = backoff["max"]?.duration() { policy.backoff.maximum = maximum }
            if let multiplier = backoff["multiplier"]?.double() {
                if multiplier < 1 {
                    backoff["multiplier"]?.report("delivery.backoff.multiplier must be at least 1")
                } else {
                    policy.backoff.multiplier = multiplier
                }
            }
            if let jitter = backoff["jitter"]?.choice(Backoff.Jitter.self) { policy.backoff.jitter = jitter }
            if policy.backoff.maximum < policy.backoff.initial {
                backoff.value.report("delivery.backoff.max must not be shorter than delivery.backoff.initial")
            }
        }
        if let timeout = map["timeout"]?.duration() { policy.timeout = timeout }
        policy.orderingKey = map["ordering_key"].flatMap { StepReader.readPath($0) }
        if let key = map["idempotency_key"]?.mapping() {
            key.rejectUnknownKeys(["header", "path"])
            if let header = key.string("header") {
                policy.idempotencyKey = .header(header)
            } else if let path = key["path"].flatMap({ StepReader.readPath($0) }) {
                policy.idempotencyKey = .path(path)
            } else {
                key.value.report("delivery.idempotency_key needs either header or path")
            }
        }
        if let window = map["idempotency_window"]?.duration() { policy.idempotencyWindow = window }
        if let concurrency = map["concurrency"]?.int(min: 1) { policy.concurrency = concurrency }
        return policy
    }

    private func readVolumes(_ value: YAMLValue) -> Volumes? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["per_day", "peak_per_minute", "payload_bytes", "total", "window", "runs"])
        var volumes = Volumes(
            perDay: map["per_day"]?.int(min: 0), peakPerMinute: map["peak_per_minute"]?.int(min: 0), payloadBytes: map["payload_bytes"]?.int(min: 0))
        volumes.total = map["total"]?.int(min: 0)
        if let field = map["window"], let window = field.duration() {
            if window > .zero { volumes.window = window } else { field.report("volumes.window must be more than 0") }
        }
        if let runs = map["runs"]?.choice(Volumes.Runs.self) { volumes.runs = runs }
        return volumes
    }

    private func readSLO(_ value: YAMLValue) -> ServiceLevel? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["delivery_latency"])
        return ServiceLevel(deliveryLatency: map["delivery_latency"]?.duration())
    }

    private func readTest(_ value: YAMLValue) -> IntegrationTestCase? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["name", "input", "headers", "expect"])
        let name = map.requiredString("name")
        let input = map.required("input")?.json()
        var headers: [String: String] = [:]
        for entry in map["headers"]?.mapping()?.entries ?? [] { headers[entry.key] = entry.value.string() }
        guard let expect = map.required("expect")?.mapping() else { return nil }
        expect.rejectUnknownKeys(["request", "filtered"])
        let expectation: IntegrationTestCase.Expectation
        if let filtered = expect["filtered"]?.bool(), filtered {
            expectation = .filtered
        } else if let request = expect["request"]?.mapping() {
            request.rejectUnknownKeys(["method", "path", "headers", "body"])
            var expectedHeaders: [String: String] = [:]
            for entry in request["headers"]?.mapping()?.entries ?? [] { expectedHeaders[entry.key] = entry.value.string() }
            expectation = .request(
                method: request.string("method")?.uppercased(), path: request.string("path"), headers: expectedHeaders, body: request["body"]?.json())
        } else {
            expect.value.report("\(expect.path) needs either request or filtered: true")
            return nil
        }
        guard let name, let input else { return nil }
        return IntegrationTestCase(name: name, input: input, headers: headers, expectation: expectation, location: value.location)
    }
}
