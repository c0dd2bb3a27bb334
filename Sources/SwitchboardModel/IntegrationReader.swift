/// Reads one `integrations/*.yaml` file into an `Integration`, checking it against the landscape.
struct IntegrationReader {
    let landscape: Landscape
    let environment: String
    let resolver: SecretResolver
    let sink: DiagnosticSink

    static let reservedPaths = ["/healthz", "/readyz", "/metrics", "/api/"]

    func read(_ root: YAMLValue) -> Integration? {
        guard let map = root.mapping() else { return nil }
        map.rejectUnknownKeys(["id", "title", "goal", "benefits", "aligns_with", "owner", "stakeholders", "pattern",
                               "source", "steps", "target", "delivery", "volumes", "slo", "tests", "design",
                               "sync_justification", "boundary_crossing"])
        let id = map.requiredString("id")
        if let id, !id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            map["id"]?.report("id '\(id)' may hold only letters, digits, '-' and '_'")
        }
        let title = map.requiredString("title")
        let alignsWith = map["aligns_with"]?.stringList() ?? []
        for (index, goal) in alignsWith.enumerated() where !landscape.goals.contains(where: { $0.id == goal }) {
            (map["aligns_with"]?.sequence()?[index] ?? map.value).report("aligns_with names goal '\(goal)', which is not declared in switchboard.yaml")
        }
        let source = map.required("source").flatMap(readSource)
        let steps = (map["steps"]?.sequence() ?? []).compactMap(StepReader.readStep)
        let target = map.required("target").flatMap(readTarget)
        let delivery = map["delivery"].flatMap(readDelivery) ?? DeliveryPolicy()
        let tests = (map["tests"]?.sequence() ?? []).compactMap(readTest)
        guard let id, let title, let source, let target else { return nil }
        return Integration(
            id: id, title: title, goal: map.string("goal"), benefits: map["benefits"]?.stringList() ?? [],
            alignsWith: alignsWith, owner: map.string("owner"), stakeholders: map["stakeholders"]?.stringList() ?? [],
            pattern: map["pattern"]?.choice(Integration.Pattern.self) ?? .async,
            syncJustification: map.string("sync_justification"), boundaryCrossing: map.string("boundary_crossing"),
            design: map["design"].flatMap(readDesign),
            source: source, steps: steps, target: target, delivery: delivery,
            volumes: map["volumes"].flatMap(readVolumes), slo: map["slo"].flatMap(readSLO), tests: tests, file: root.file)
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
        map.rejectUnknownKeys(["system", "webhook", "changes"])
        let system = checkSystem(map.required("system"))
        switch (map["webhook"], map["changes"]) {
        case (nil, let changes?):
            guard let trigger = readChanges(changes) else { return nil }
            if let system, landscape.system(system)?.kind != .dataverse {
                changes.report("\(changes.path) reads a Dataverse table's changes, but system '\(system)' is not of kind dataverse")
            }
            return system.map { Source(system: $0, changes: trigger) }
        case (_?, _?):
            map["changes"]?.report("\(map.path) has both webhook and changes; an integration has one source")
            return nil
        case (let webhook, nil):
            guard let webhook = webhook?.mapping() ?? map.required("webhook")?.mapping() else { return nil }
            return readWebhook(webhook).flatMap { trigger in system.map { Source(system: $0, webhook: trigger) } }
        }
    }

    private func readWebhook(_ webhook: YAMLMapping) -> WebhookTrigger? {
        webhook.rejectUnknownKeys(["path", "auth", "format"])
        let format = webhook["format"]?.choice(WebhookTrigger.Format.self) ?? .json
        let path = webhook.requiredString("path")
        if let path {
            if !path.hasPrefix("/") || path.contains("?") || path.contains(" ") {
                webhook["path"]?.report("source.webhook.path must start with '/' and hold no spaces or query, like /hooks/orders")
            } else if Self.reservedPaths.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
                webhook["path"]?.report("source.webhook.path '\(path)' is reserved by the hub; use a path such as /hooks/orders")
            }
        }
        let auth = webhook.required("auth").flatMap(readAuthentication)
        guard let path, let auth else { return nil }
        return WebhookTrigger(path: path, authentication: auth, format: format)
    }

    private func readChanges(_ value: YAMLValue) -> ChangeTrackingTrigger? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["table", "select", "interval", "initial_load"])
        let table = map.requiredString("table")
        guard let table else { return nil }
        var trigger = ChangeTrackingTrigger(table: table, select: map["select"]?.stringList() ?? [])
        if let interval = map["interval"]?.duration() { trigger.interval = interval }
        if let initial = map["initial_load"]?.bool() { trigger.initialLoad = initial }
        return trigger
    }

    private func readAuthentication(_ value: YAMLValue) -> WebhookAuthentication? {
        guard let map = value.mapping() else { return nil }
        enum Kind: String, CaseIterable { case none, header, hmac, query }
        map.rejectUnknownKeys(["kind", "header", "parameter", "secret"])
        guard let kind = map.required("kind")?.choice(Kind.self) else { return nil }
        if kind == .none { return WebhookAuthentication.none }
        guard let secret = readSecret(map.required("secret")) else { return nil }
        switch kind {
        case .none: return WebhookAuthentication.none
        case .header: return .sharedKey(header: map.string("header") ?? "X-Api-Key", secret: secret)
        case .hmac: return .hmacSHA256(header: map.string("header") ?? "X-Signature", secret: secret)
        case .query: return .queryKey(parameter: map.string("parameter") ?? "code", secret: secret)
        }
    }

    /// A secret field: must be a reference, and the reference must resolve.
    private func readSecret(_ value: YAMLValue?) -> Secret? {
        guard let value, let text = value.string() else { return nil }
        guard SecretResolver.containsReference(text) else {
            value.report("\(value.path) holds a secret written inline; write a reference such as ${env:NAME} or ${file:PATH} instead", rule: "SB190")
            return nil
        }
        let resolved = resolver.resolve(text, reportingTo: value)
        if resolved.isEmpty, !resolver.lenient { value.report("\(value.path) resolves to an empty secret") }
        return Secret(value: resolved, reference: text)
    }

    private func readTarget(_ value: YAMLValue) -> Target? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["system", "http", "dataverse"])
        let systemField = map.required("system")
        let system = checkSystem(systemField)
        let kind = system.flatMap { landscape.system($0)?.kind }
        if let system, let kind {
            if kind != .http && kind != .dataverse {
                systemField?.report("target.system '\(system)' is a \(kind.rawValue) system; this version delivers to http and dataverse systems only")
            } else if landscape.system(system)?.connections[environment]?.baseURL == nil {
                systemField?.report("target.system '\(system)' has no connection with a base_url for environment '\(environment)'")
            }
        }
        if kind == .dataverse {
            if map["http"] != nil { map["http"]?.report("target.http does not apply to a Dataverse system; write target.dataverse") }
            guard let write = map.required("dataverse").flatMap(readDataverseWrite), let system else { return nil }
            return Target(system: system, write: .dataverse(write))
        }
        if map["dataverse"] != nil { map["dataverse"]?.report("target.dataverse applies to a Dataverse system only") }
        guard let http = map.required("http")?.mapping() else { return nil }
        http.rejectUnknownKeys(["method", "path", "headers", "body"])
        let method = (http.string("method") ?? "POST").uppercased()
        if !["POST", "PUT", "PATCH", "DELETE", "GET"].contains(method) {
            http["method"]?.report("target.http.method must be POST, PUT, PATCH, DELETE or GET, not '\(method)'")
        }
        let path = http.requiredString("path")
        if let path, !path.hasPrefix("/") { http["path"]?.report("target.http.path must start with '/'") }
        var headers: [String: String] = [:]
        for entry in http["headers"]?.mapping()?.entries ?? [] {
            guard let text = entry.value.string() else { continue }
            if SecretResolver.isSensitiveHeader(entry.key) && !text.contains("{$") {
                entry.value.report("\(entry.value.path) holds a credential; put it in the system's connection headers as a ${env:NAME} reference")
                continue
            }
            headers[entry.key] = text
        }
        let body = http["body"].flatMap { StepReader.readPath($0) }
        guard let system, let path else { return nil }
        return Target(system: system, request: HTTPRequestTemplate(method: method, path: path, headers: headers, body: body ?? JSONPath("$")))
    }

    /// `dataverse: { table: salesorders, operation: upsert, key: { ordernumber: $.order_number } }`.
    private func readDataverseWrite(_ value: YAMLValue) -> DataverseWrite? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["table", "operation", "key", "body"])
        let table = map.requiredString("table")
        if let table, table.contains("(") || table.contains("/") {
            map["table"]?.report("target.dataverse.table is the entity set name alone, such as salesorders")
        }
        let operation = map["operation"]?.choice(DataverseWrite.Operation.self) ?? .upsert
        var key: [(column: String, path: JSONPath)] = []
        for entry in map["key"]?.mapping()?.entries ?? [] {
            if let path = StepReader.readPath(entry.value) { key.append((entry.key, path)) }
        }
        if operation != .create, key.isEmpty, map["key"] == nil {
            map.value.report("target.dataverse.key is required to \(operation.rawValue): the key columns and where their values are, such as { ordernumber: $.order_number }")
        }
        let body = map["body"].flatMap { StepReader.readPath($0) } ?? JSONPath("$")!
        guard let table else { return nil }
        return DataverseWrite(table: table, operation: operation, key: key, body: body)
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
                if multiplier < 1 { backoff["multiplier"]?.report("delivery.backoff.multiplier must be at least 1") } else { policy.backoff.multiplier = multiplier }
            }
            if let jitter = backoff["jitter"]?.choice(Backoff.Jitter.self) { policy.backoff.jitter = jitter }
            if policy.backoff.maximum < policy.backoff.initial { backoff.value.report("delivery.backoff.max must not be shorter than delivery.backoff.initial") }
        }
        if let timeout = map["timeout"]?.duration() { policy.timeout = timeout }
        policy.orderingKey = map["ordering_key"].flatMap { StepReader.readPath($0) }
        if let key = map["idempotency_key"]?.mapping() {
            key.rejectUnknownKeys(["header", "path"])
            if let header = key.string("header") { policy.idempotencyKey = .header(header) }
            else if let path = key["path"].flatMap({ StepReader.readPath($0) }) { policy.idempotencyKey = .path(path) }
            else { key.value.report("delivery.idempotency_key needs either header or path") }
        }
        if let window = map["idempotency_window"]?.duration() { policy.idempotencyWindow = window }
        if let concurrency = map["concurrency"]?.int(min: 1) { policy.concurrency = concurrency }
        return policy
    }

    private func readVolumes(_ value: YAMLValue) -> Volumes? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(["per_day", "peak_per_minute", "payload_bytes"])
        return Volumes(perDay: map["per_day"]?.int(min: 0), peakPerMinute: map["peak_per_minute"]?.int(min: 0), payloadBytes: map["payload_bytes"]?.int(min: 0))
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
            expectation = .request(method: request.string("method")?.uppercased(), path: request.string("path"), headers: expectedHeaders, body: request["body"]?.json())
        } else {
            expect.value.report("\(expect.path) needs either request or filtered: true")
            return nil
        }
        guard let name, let input else { return nil }
        return IntegrationTestCase(name: name, input: input, headers: headers, expectation: expectation, location: value.location)
    }
}
