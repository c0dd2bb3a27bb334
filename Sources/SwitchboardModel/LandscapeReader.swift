import Foundation

/// Reads `switchboard.yaml` into a `Landscape`, reporting problems to the sink.
struct LandscapeReader {
    let resolver: SecretResolver
    let sink: DiagnosticSink

    mutating func read(_ root: YAMLValue, environment: String?) -> Landscape {
        var landscape = Landscape(version: 1, goals: [], systems: [], environments: [], server: ServerSettings(), store: StoreSettings())
        guard let map = root.mapping() else { return landscape }
        map.rejectUnknownKeys(["version", "name", "description", "goals", "systems", "environments", "server", "store", "alerts", "check", "principles"])
        if let version = map["version"]?.int(), version != 1 {
            map["version"]?.report("version must be 1, the only workspace format version")
        }
        landscape.environments = map["environments"]?.stringList() ?? ["default"]
        if landscape.environments.isEmpty { landscape.environments = ["default"] }
        if let environment, !landscape.environments.contains(environment) {
            sink.report(map.location, "environment '\(environment)' is not declared in environments (\(landscape.environments.joined(separator: ", ")))")
        }
        let active = environment ?? landscape.environments[0]
        for item in map["goals"]?.sequence() ?? [] {
            guard let goal = item.mapping() else { continue }
            goal.rejectUnknownKeys(["id", "title", "description"])
            if let id = goal.requiredString("id"), let title = goal.requiredString("title") {
                if landscape.goals.contains(where: { $0.id == id }) { item.report("goal id '\(id)' is declared twice") }
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
        let kind = map.required("kind")?.choice(SystemDefinition.Kind.self)
        // Optional here: `check` reports a system without one (SB110).
        let location = map["location"]?.choice(SystemDefinition.Location.self)
        var connections: [String: Connection] = [:]
        if let connectionMap = map["connections"]?.mapping() {
            for entry in connectionMap.entries {
                if !environments.contains(entry.key) {
                    sink.report(entry.keyLocation, "\(entry.value.path) names environment '\(entry.key)', which is not declared in environments")
                }
                if let connection = readConnection(entry.value, resolveSecrets: entry.key == active, dataverse: kind == .dataverse) {
                    connections[entry.key] = connection
                }
            }
        }
        var limits = SystemLimits()
        var adaptive: Bool?
        var windowGiven = false
        if let limitMap = map["limits"]?.mapping() {
            limitMap.rejectUnknownKeys(["max_concurrent", "max_requests", "max_execution_time", "window", "adaptive", "requests_per_day", "time_per_record"])
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
            if adaptive == true, limits.maxConcurrent == nil, kind != .dataverse {
                limitMap["adaptive"]?.report("\(limitMap.path).adaptive needs max_concurrent: the most requests in flight it may grow to")
            }
        }
        // Dataverse: Microsoft's service protection limits per application user, scaled to a shorter
        // window when one is given, and concurrency that starts at 4 and adapts, unless the
        // workspace says otherwise (`SystemLimits.dataverse`).
        if kind == .dataverse {
            if !windowGiven { limits.window = .seconds(300) }
            let documented = SystemLimits.dataverse(window: limits.window)
            limits.maxConcurrent = limits.maxConcurrent ?? documented.maxConcurrent
            limits.maxRequests = limits.maxRequests ?? documented.maxRequests
            limits.maxExecution = limits.maxExecution ?? documented.maxExecution
            limits.requestsPerDay = limits.requestsPerDay ?? documented.requestsPerDay
        }
        if adaptive ?? (kind == .dataverse), let maximum = limits.maxConcurrent { limits.adaptiveStart = min(4, maximum) }
        guard let id, let kind else { return nil }
        return SystemDefinition(id: id, kind: kind, location: location, owner: map.string("owner"), description: map.string("description"),
                                connections: connections, limits: limits, declaredAt: item.location,
                                cost: map["cost"].flatMap(readCost))
    }

    private func readConnection(_ value: YAMLValue, resolveSecrets: Bool, dataverse: Bool) -> Connection? {
        guard let map = value.mapping() else { return nil }
        map.rejectUnknownKeys(dataverse ? ["base_url", "headers", "authority", "tenant", "client_id", "client_secret", "ca_file", "batch_size", "batch_wait", "batch_with", "more_users"] : ["base_url", "headers"])
        var headers: [String: String] = [:]
        for entry in map["headers"]?.mapping()?.entries ?? [] {
            guard let text = entry.value.string() else { continue }
            if SecretResolver.isSensitiveHeader(entry.key) && !SecretResolver.containsReference(text) {
                entry.value.report("\(entry.value.path) holds a secret written inline; write a reference such as ${env:NAME} or ${file:PATH} instead", rule: "SB190")
                continue
            }
            headers[entry.key] = resolveSecrets ? resolver.resolve(text, reportingTo: entry.value) : text
        }
        let baseURL = map.string("base_url").map { resolveSecrets ? resolver.resolve($0, reportingTo: map["base_url"]!) : $0 }
        if let baseURL, resolveSecrets, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) {
            map["base_url"]?.report("\(map.path).base_url must start with http:// or https://")
        }
        var credentials: DataverseCredentials?
        if dataverse {
            if baseURL == nil { map.value.report("\(map.path).base_url is required for a Dataverse system: the environment URL, such as https://contoso.crm.dynamics.com") }
            let tenant = map.requiredString("tenant")
            let clientID = map.requiredString("client_id")
            let secret = readSecretReference(map.required("client_secret"), resolveSecrets: resolveSecrets)
            let authority = map.string("authority") ?? "https://login.microsoftonline.com"
            if !authority.hasPrefix("https://") { map["authority"]?.report("\(map.path).authority must start with https://") }
            var batchSize = 1
            if let size = map["batch_size"]?.int(min: 1) {
                // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api (at most 1,000)
                if size > 1_000 { map["batch_size"]?.report("\(map.path).batch_size must be at most 1000, the most requests a $batch may hold") }
                batchSize = min(size, 1_000)
            }
            var additionalUsers: [(clientID: String, clientSecret: String)] = []
            for item in map["more_users"]?.sequence() ?? [] {
                guard let user = item.mapping() else { continue }
                user.rejectUnknownKeys(["client_id", "client_secret"])
                let id = user.requiredString("client_id")
                if let id, let userSecret = readSecretReference(user.required("client_secret"), resolveSecrets: resolveSecrets) {
                    additionalUsers.append((id, userSecret))
                }
            }
            if let tenant, let clientID, let secret {
                credentials = DataverseCredentials(authority: authority, tenant: tenant, clientID: clientID, clientSecret: secret, caFile: map.string("ca_file"))
                credentials?.batchSize = batchSize
                if let wait = map["batch_wait"]?.duration() { credentials?.batchWait = wait }
                if let mode = map["batch_with"]?.choice(DataverseCredentials.BatchMode.self) { credentials?.batchMode = mode }
                credentials?.additionalUsers = additionalUsers
            }
        }
        return Connection(baseURL: baseURL, headers: headers, dataverse: credentials)
    }

    /// A secret field of a connection: it must be a reference, resolved only for the active environment.
    private func readSecretReference(_ field: YAMLValue?, resolveSecrets: Bool) -> String? {
        guard let field, let text = field.string() else { return nil }
        guard SecretResolver.containsReference(text) else {
            field.report("\(field.path) holds a secret written inline; write a reference such as ${env:NAME} or ${file:PATH} instead", rule: "SB190")
            return nil
        }
        return resolveSecrets ? resolver.resolve(text, reportingTo: field) : text
    }

    private func readServer(_ map: YAMLMapping) -> ServerSettings {
        map.rejectUnknownKeys(["host", "port", "max_body_bytes", "shutdown_grace", "tls"])
        var server = ServerSettings()
        if let host = map.string("host") { server.host = host }
        if let port = map["port"]?.int(min: 0) {
            if port > 65535 { map["port"]?.report("server.port must be at most 65535") } else { server.port = port }
        }
        if let limit = map["max_body_bytes"]?.int(min: 1) { server.maxBodyBytes = limit }
        if let grace = map["shutdown_grace"]?.duration() { server.shutdownGrace = grace }
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

    func readStore(_ map: YAMLMapping) -> StoreSettings {
        map.rejectUnknownKeys(["kind", "path", "durability", "retention"])
        var store = StoreSettings()
        if let kind = map.string("kind"), kind != "sqlite" { map["kind"]?.report("store.kind must be 'sqlite' in this version") }
        if let path = map.string("path") { store.path = path }
        if let durability = map["durability"]?.choice(StoreSettings.Durability.self) { store.durability = durability }
        if let retention = map["retention"]?.duration() { store.retention = retention }
        return store
    }
}
