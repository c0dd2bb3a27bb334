import Foundation

/// Reads `switchboard.yaml` into a `Landscape`, reporting problems to the sink.
struct LandscapeReader {
    let registry: ConnectorRegistry
    let resolver: SecretResolver
    let sink: DiagnosticSink

    mutating func read(_ root: YAMLValue, environment: String?) -> Landscape {
        var landscape = Landscape(version: 1, goals: [], systems: [], environments: [], server: ServerSettings(), store: StoreSettings())
        guard let map = root.mapping() else { return landscape }
        map.rejectUnknownKeys([
            "version", "name", "description", "goals", "systems", "environments", "server", "store", "tracing", "alerts", "check",
            "principles",
        ])
        if let version = map["version"]?.int(), version != 1 {
            map["version"]?.report("version must be 1, the only workspace format version")
        }
        landscape.environments = map["environments"]?.stringList() ?? ["default"]
        if landscape.environments.isEmpty { landscape.environments = ["default"] }
        if let environment, !landscape.environments.contains(environment) {
            sink.report(
                map.location, "environment '\(environment)' is not declared in environments (\(landscape.environments.joined(separator: ", ")))")
        }
        let active = environment ?? landscape.environments[0]
        var goalIDs = Set<String>()
        for item in map["goals"]?.sequence() ?? [] {
            guard let goal = item.mapping() else { continue }
            goal.rejectUnknownKeys(["id", "title", "description"])
            if let id = goal.requiredString("id"), let title = goal.requiredString("title") {
                if !goalIDs.insert(id).inserted { item.report("goal id '\(id)' is declared twice") }
                landscape.goals.append(Goal(id: id, title: title))
            }
        }
        var systemIDs = Set<String>()
        for item in map.required("systems")?.sequence() ?? [] {
            guard let system = readSystem(item, environments: landscape.environments, active: active) else { continue }
            if !systemIDs.insert(system.id).inserted { item.report("system id '\(system.id)' is declared twice") }
            landscape.systems.append(system)
        }
        if let server = map["server"]?.mapping() { landscape.server = readServer(server) }
        if let store = map["store"]?.mapping() { landscape.store = readStore(store) }
        if let tracing = map["tracing"]?.mapping() { landscape.tracing = readTracing(tracing) }
        landscape.alerts = (map["alerts"]?.sequence() ?? []).compactMap(readAlert)
        landscape.principles = (map["principles"]?.sequence() ?? []).compactMap(readPrinciple)
        var principleIDs = Set<String>()
        for principle in landscape.principles where !principleIDs.insert(principle.id).inserted {
            sink.report(principle.declaredAt, "principle id '\(principle.id)' is declared twice")
        }
        if let check = map["check"]?.mapping() { landscape.check = readCheck(check) }
        return landscape
    }

    private func readSystem(_ item: YAMLValue, environments: [String], active: String) -> SystemDefinition? {
        guard let map = item.mapping() else { return nil }
        map.rejectUnknownKeys(["id", "kind", "location", "owner", "description", "connections", "limits", "cost"])
        let id = map.requiredString("id")
        let kindName = map.required("kind")?.choice(among: registry.kinds.map(\.spec.kind))
        let kind = kindName.flatMap { registry.kind($0) }
        // Optional here: `check` reports a system without one (SB110).
        let location = map["location"]?.choice(SystemDefinition.Location.self)
        var connections: [String: Connection] = [:]
        if let connectionMap = map["connections"]?.mapping() {
            for entry in connectionMap.entries {
                if !environments.contains(entry.key) {
                    sink.report(entry.keyLocation, "\(entry.value.path) names environment '\(entry.key)', which is not declared in environments")
                }
                guard let kind, let fields = ConfigFields(entry.value, specs: kind.spec.connection) else { continue }
                // Only the active environment's references are resolved, and none when the
                // workspace is read without its secrets (test, check, plan): what is not resolved
                // cannot be shown.
                let context = ReadContext(resolver: resolver, resolveSecrets: entry.key == active && !resolver.lenient)
                if let settings = kind.readConnection(fields, context: context) {
                    connections[entry.key] = Connection(settings: settings)
                }
            }
        }
        var limits = SystemLimits()
        var adaptive: Bool?
        var windowGiven = false
        if let limitMap = map["limits"]?.mapping() {
            limitMap.rejectUnknownKeys([
                "max_concurrent", "max_requests", "max_execution_time", "window", "adaptive", "requests_per_day", "time_per_record",
            ])
            limits.requestsPerDay = limitMap["requests_per_day"]?.int(min: 1)
            limits.timePerRecord = limitMap["time_per_record"]?.duration()
            limits.maxConcurrent = limitMap["max_concurrent"]?.int(min: 1)
            limits.maxRequests = limitMap["max_requests"]?.int(min: 1)
            limits.maxExecution = limitMap["max_execution_time"]?.duration()
            if let window = limitMap["window"]?.duration() {
                limits.window = window
                windowGiven = true
            }
            adaptive = limitMap["adaptive"]?.bool()
        }
        // The kind's defaults for what the workspace left out (Dataverse: Microsoft's service
        // protection limits per application user, and concurrency that adapts).
        if let kind {
            limits = kind.limits(declared: limits, windowGiven: windowGiven, adaptive: adaptive)
            if adaptive == true, limits.maxConcurrent == nil, let field = map["limits"]?.mapping() {
                field["adaptive"]?.report("\(field.path).adaptive needs max_concurrent: the most requests in flight it may grow to")
            }
        }
        guard let id, let kindName else { return nil }
        return SystemDefinition(
            id: id, kind: kindName, location: location, owner: map.string("owner"), description: map.string("description"),
            connections: connections, limits: limits, declaredAt: item.location,
            cost: map["cost"].flatMap(readCost))
    }

    private func readServer(_ map: YAMLMapping) -> ServerSettings {
        map.rejectUnknownKeys([
            "host", "port", "max_body_bytes", "shutdown_grace", "max_interruptions", "idle_timeout", "read_timeout", "max_connections",
            "trusted_proxies", "public_url", "tls",
        ])
        var server = ServerSettings()
        if let host = map.string("host") { server.host = host }
        if let port = map["port"]?.int(min: 0) {
            if port > 65535 { map["port"]?.report("server.port must be at most 65535") } else { server.port = port }
        }
        if let limit = map["max_body_bytes"]?.int(min: 1) { server.maxBodyBytes = limit }
        if let grace = map["shutdown_grace"]?.duration() { server.shutdownGrace = grace }
        if let limit = map["max_interruptions"]?.int(min: 1) { server.maxInterruptions = limit }
        func positive(_ key: String) -> Duration? {
            guard let value = map[key]?.duration() else { return nil }
            if value > .zero { return value }
            map[key]?.report("server.\(key) must be more than 0")
            return nil
        }
        if let timeout = positive("idle_timeout") { server.idleTimeout = timeout }
        if let timeout = positive("read_timeout") { server.readTimeout = timeout }
        if let limit = map["max_connections"]?.int(min: 1) { server.maxConnections = limit }
        if let proxies = map["trusted_proxies"]?.stringList() { server.trustedProxies = proxies }
        if let url = map.string("public_url") {
            if url.hasPrefix("http://") || url.hasPrefix("https://") {
                server.publicURL = url
            } else {
                map["public_url"]?.report("server.public_url must start with http:// or https://, such as https://hub.example.com")
            }
        }
        if let tls = map["tls"]?.mapping() {
            tls.rejectUnknownKeys(["certificate", "key"])
            let files = [tls.requiredString("certificate"), tls.requiredString("key")]
            for (name, file) in zip(["certificate", "key"], files) {
                guard let file, let field = tls[name] else { continue }
                let path = file.hasPrefix("/") ? file : resolver.baseDirectory.appendingPathComponent(file).path
                if !FileManager.default.isReadableFile(atPath: path) { field.report("server.tls.\(name) '\(file)' cannot be read") }
            }
            if let certificate = files[0], let key = files[1] {
                func absolute(_ file: String) -> String { file.hasPrefix("/") ? file : resolver.baseDirectory.appendingPathComponent(file).path }
                server.tls = (absolute(certificate), absolute(key))
            }
        }
        return server
    }

    func readTracing(_ map: YAMLMapping) -> TracingSettings {
        map.rejectUnknownKeys(["endpoint", "service_name", "sample_ratio", "headers", "export_interval"])
        var tracing = TracingSettings()
        if let endpoint = map.requiredString("endpoint") {
            let resolved = try? resolver.resolve(endpoint)
            if let resolved, !(resolved.hasPrefix("http://") || resolved.hasPrefix("https://")) {
                map["endpoint"]?.report("tracing.endpoint must start with http:// or https://, such as http://otel-collector:4318")
            } else {
                tracing.endpoint = endpoint
                tracing.resolvedEndpoint = resolved
            }
        }
        if let name = map.string("service_name") { tracing.serviceName = name }
        if let field = map["sample_ratio"], let ratio = field.double() {
            if (0...1).contains(ratio) { tracing.sampleRatio = ratio } else { field.report("tracing.sample_ratio must be from 0 to 1") }
        }
        for entry in map["headers"]?.mapping()?.entries ?? [] {
            guard let text = entry.value.string() else { continue }
            tracing.headers.append((entry.key, resolver.lenient ? text : resolver.resolve(text, reportingTo: entry.value)))
        }
        if let interval = map["export_interval"]?.duration() { tracing.exportInterval = interval }
        return tracing
    }

    func readStore(_ map: YAMLMapping) -> StoreSettings {
        map.rejectUnknownKeys(["kind", "path", "url", "pool_size", "durability", "retention", "audit_requests"])
        var store = StoreSettings()
        if let kind = map["kind"]?.choice(StoreSettings.Kind.self) { store.kind = kind }
        if let path = map.string("path") { store.path = path }
        switch store.kind {
        case .sqlite:
            if map["url"] != nil { map["url"]?.report("store.url is for kind: postgres; a SQLite store is a file (store.path)") }
        case .postgres:
            if let url = map.requiredString("url") {
                let resolved = resolver.lenient ? (try? resolver.resolve(url)) : resolver.resolve(url, reportingTo: map["url"]!)
                if let resolved, !resolver.lenient || !resolved.isEmpty {
                    if let problem = PostgresURL.problem(resolved) { map["url"]?.report("store.url \(problem)") } else { store.url = resolved }
                }
            }
        }
        if let field = map["pool_size"], let size = field.int() {
            if (1...200).contains(size) { store.poolSize = size } else { field.report("store.pool_size must be from 1 to 200") }
        }
        if let durability = map["durability"]?.choice(StoreSettings.Durability.self) { store.durability = durability }
        if let retention = map["retention"]?.duration() { store.retention = retention }
        if let recording = map["audit_requests"]?.choice(RequestRecording.self) { store.auditRequests = recording }
        return store
    }
}
