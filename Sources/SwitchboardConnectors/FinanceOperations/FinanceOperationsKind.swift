import Foundation
import SwitchboardEngine
import SwitchboardModel

/// `kind: finance-operations`: a Dynamics 365 Finance & Operations environment (Finance, Supply
/// Chain Management) through its OData service, signed in as one or more registered Microsoft
/// Entra applications.
public struct FinanceOperationsKind: ConnectorRuntime {
    public init() {}

    static let applicationFields = [
        FieldSpec("client_id", .string, required: true, doc: "The application's client id, registered on the Microsoft Entra applications form."),
        FieldSpec("client_secret", .secret, required: true, doc: "Its client secret, as a reference."),
    ]

    /// The most writes in one `$batch`: "batch size is limited to 5,000 operations".
    /// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/service-protection-maximizing-api-throughput
    static let maxBatch = 5_000

    /// Requests in flight when the workspace does not say: Switchboard's own ceiling (the service
    /// publishes no concurrency limit since its per-user limits were removed in 10.0.36), reached
    /// from 4 as answers come back without `429`.
    static let defaultMaxConcurrent = 32

    public let spec = ConnectorSpec(
        kind: "finance-operations", title: "Finance & Operations",
        summary: "A Dynamics 365 Finance & Operations environment's OData entities: creates, updates, upserts and deletes by key, per company, in `$batch`.",
        description: """
            Signs in with the OAuth 2.0 client-credentials grant as each registered application \
            (System administration > Setup > Microsoft Entra applications) and writes each message \
            as one record of a data entity: `POST` for a create (the key and `dataAreaId` in the \
            body), `PATCH` with `If-Match: *` for an update and `DELETE`, both addressed by the \
            entity's whole key (`CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`) across \
            companies. An upsert reads its record first (one `GET` per twenty upserts) and then \
            updates or creates. With `batch_size` above 1, writes that arrive together share one \
            `$batch`, each in its own change set, so each has its own answer. A write the entity \
            refuses (the service answers `500` with the infolog) is dead with the infolog's text; \
            `429` pauses the application that got it for its `Retry-After` while the others carry \
            on, and concurrency adapts from 4.
            """,
        connection: [
            FieldSpec("base_url", .url, doc: "The environment URL (required).", example: "https://contoso.operations.dynamics.com"),
            FieldSpec("headers", .headers, doc: "Headers sent with every request besides the bearer token."),
            FieldSpec(
                "authority", .url, default: "https://login.microsoftonline.com", doc: "The token authority; the emulator's URL for local work."),
            FieldSpec("tenant", .string, required: true, doc: "The Microsoft Entra tenant id."),
            FieldSpec("client_id", .string, required: true, doc: "The application's client id, registered in the environment and mapped to a user."),
            FieldSpec("client_secret", .secret, required: true, doc: "Its client secret.", example: "${env:FNO_SECRET}"),
            FieldSpec(
                "ca_file", .string,
                doc: "A PEM file of authorities to trust besides the system's (the emulator's `ca.pem`), relative to the workspace."),
            OutboundClient.connectTimeoutField,
            FieldSpec(
                "default_company", .string,
                doc:
                    "The company (`dataAreaId`) of writes whose target names none; without it such writes address shared entities (no `dataAreaId` in the key).",
                example: "usmf"),
            FieldSpec("batch_size", .integer, default: "1", doc: "Writes sent together in one `$batch`, at most 5000; 1 sends each alone."),
            FieldSpec("batch_wait", .duration, default: "10ms", doc: "How long a write waits for others to share its request."),
            FieldSpec(
                "more_applications", .objectList(FinanceOperationsKind.applicationFields),
                doc: "More registered applications to spread the load over; a `429` pauses only the one that got it."),
        ],
        addressField: "base_url",
        target: [
            FieldSpec("entity", .string, required: true, doc: "The data entity's public collection name (case-sensitive).", example: "CustomersV3"),
            FieldSpec(
                "operation", .choice(FinanceOperationsWrite.Operation.allCases.map(\.rawValue)), default: "upsert",
                doc: "`upsert` reads the record by its key, then updates or creates it, so a repeated delivery is harmless."),
            FieldSpec(
                "key", .pathMap,
                doc: "The entity key's fields but `dataAreaId`, and where their values are (required unless `create` of a number-sequence key).",
                example: "{ CustomerAccount: $.account }"),
            FieldSpec(
                "company", .string,
                doc: "The company (`dataAreaId`): a path into the message (`$.company`) or a company id; default the connection's `default_company`.",
                example: "$.company"),
            FieldSpec("body", .path, default: "$", doc: "What is sent as the record's fields; key fields in it must agree with the key."),
            FieldSpec(
                "application", .string,
                doc: "The application (its `client_id`) this integration writes as, for its own throttling priority; default each write goes to the next application not throttled."
            ),
        ],
        sources: [
            SourceSpec(
                key: "changes", summary: "polls a Finance & Operations entity by its modified date and time",
                fields: [
                    FieldSpec("entity", .string, required: true, doc: "The entity's public collection name.", example: "CustomersV3"),
                    FieldSpec(
                        "modified_field", .string, default: "ModifiedDateTime",
                        doc: "The date-and-time field the service sets on every write (standard entities mostly need it added by an extension)."),
                    FieldSpec("select", .stringList, doc: "Fields read (`dataAreaId` and the modified field are added); default all (`check` asks for a list, SB180)."),
                    FieldSpec("company", .string, doc: "The one company read; default every company the application may see."),
                    FieldSpec("interval", .duration, default: "30s", doc: "Time between polls once caught up."),
                    FieldSpec("initial_load", .boolean, default: "true", doc: "Whether the first poll turns every existing record into a message."),
                ],
                position: "the latest modified time read and the records read at that time, saved in the same transaction as the messages",
                recordFields: ["record"])
        ],
        webhookFormats: [
            WebhookFormatSpec(
                name: "finance-operations",
                summary:
                    "A Finance & Operations business event as its HTTPS endpoint receives it: the flat payload (`BusinessEventId`, `EventId`, `ControlNumber`, `BusinessEventLegalEntity`, the event's fields), `/Date(ms)/` values as ISO 8601 times.",
                defaultIdempotencyKey: "$.EventId", carriesWholeRecords: false,
                readsDescription: "Finance & Operations business events (activated for this endpoint in the Business events catalog)",
                messages: [], recordFields: [])
        ],
        usualLocation: .cloud,
        idempotency: "`upsert`, `update` and `delete` by key are harmless when repeated (a delete of a record already gone is delivered); `create` is not (SB150).",
        limits:
            "none published: priority-based throttling answers `429` with `Retry-After` when the environment is busy, lower priorities first; concurrency adapts from 4 up to 32 unless `limits` says otherwise; at most 5,000 operations per `$batch`",
        references: [
            "https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/odata",
            "https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/priority-based-throttling",
            "https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/service-protection-maximizing-api-throughput",
            "https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/services-home-page",
        ])

    package func readConnection(_ map: ConfigFields, context: ReadContext) -> (any ConnectionSettings)? {
        let headers = context.headers(map["headers"])
        let baseURL = context.url(map["base_url"])
        if baseURL == nil {
            map.value.report(
                "\(map.path).base_url is required for a Finance & Operations system: the environment URL, such as https://contoso.operations.dynamics.com")
        }
        let tenant = map.string("tenant")
        let clientID = map.string("client_id")
        let secret = context.secret(map["client_secret"])
        let authority = map.string("authority") ?? "https://login.microsoftonline.com"
        if !authority.hasPrefix("https://") { map["authority"]?.report("\(map.path).authority must start with https://") }
        var batchSize = 1
        if let size = map.int("batch_size", min: 1) {
            if size > Self.maxBatch {
                map["batch_size"]?.report("\(map.path).batch_size must be at most 5000, the most operations a $batch may hold")
            }
            batchSize = min(size, Self.maxBatch)
        }
        var more: [(clientID: String, clientSecret: String)] = []
        for application in map.objects("more_applications") {
            if let id = application.string("client_id"), let applicationSecret = context.secret(application["client_secret"]) {
                more.append((id, applicationSecret.value))
            }
        }
        let company = map.string("default_company")
        if let company, company.isEmpty || company.count > 4 || !company.allSatisfy({ $0.isLetter || $0.isNumber }) {
            map["default_company"]?.report("\(map.path).default_company '\(company)' is not a company id (dataAreaId: up to four letters or digits, such as usmf)")
        }
        let caFile = map.string("ca_file").map(context.absolutePath)
        if context.resolveSecrets, let caFile, !FileManager.default.fileExists(atPath: caFile) {
            map["ca_file"]?.report("\(map.path).ca_file names \(caFile), which does not exist")
        }
        guard let tenant, let clientID, let secret else { return IncompleteFinanceOperationsConnection(address: baseURL) }
        var settings = FinanceOperationsConnectionSettings(
            environmentURL: baseURL, authority: authority, tenant: tenant, clientID: clientID, clientSecret: secret.value, caFile: caFile)
        settings.headers = headers
        settings.batchSize = batchSize
        if let wait = map.duration("batch_wait") { settings.batchWait = wait }
        settings.additionalApplications = more
        settings.defaultCompany = company?.lowercased()
        settings.connectTimeout = OutboundClient.readConnectTimeout(map)
        return settings
    }

    /// `finance-operations: { entity: CustomersV3, key: { CustomerAccount: $.account }, company: $.company }`.
    package func readTarget(_ map: ConfigFields, context: ReadContext) -> (any TargetSettings)? {
        let entity = map.string("entity")
        if let entity, entity.contains("(") || entity.contains("/") || entity.contains("?") {
            map["entity"]?.report("target.finance-operations.entity is the entity's public collection name alone, such as CustomersV3")
        }
        let operation = map.choice("operation", FinanceOperationsWrite.Operation.self) ?? .upsert
        var key: [(field: String, path: JSONPath)] = []
        for entry in map["key"]?.mapping()?.entries ?? [] {
            if entry.key == FinanceOperationsRequests.company {
                entry.value.report("target.finance-operations.key names dataAreaId; the company is set with target.finance-operations.company")
                continue
            }
            if let path = StepReader.readPath(entry.value) { key.append((entry.key, path)) }
        }
        if operation != .create, map["key"] == nil {
            map.value.report(
                "target.finance-operations.key is required to \(operation.rawValue): the entity key's fields and where their values are, such as { CustomerAccount: $.account }"
            )
        }
        var company: FinanceOperationsWrite.Company?
        if let field = map["company"], let text = field.string() {
            if text.hasPrefix("$") {
                if let path = StepReader.readPath(field) { company = .path(path) }
            } else if text.isEmpty || text.count > 4 || !text.allSatisfy({ $0.isLetter || $0.isNumber }) {
                field.report("target.finance-operations.company '\(text)' is neither a path ($.company) nor a company id (up to four letters or digits, such as usmf)")
            } else {
                company = .fixed(text.lowercased())
            }
        }
        let body = map["body"].flatMap { StepReader.readPath($0) } ?? JSONPath("$")!
        let application = map.string("application")
        if let application, let connection = context.connection?.settings as? FinanceOperationsConnectionSettings,
            !connection.applicationIDs.contains(application)
        {
            map["application"]?.report(
                "target.finance-operations.application '\(application)' is not an application of the system's connection (\(connection.applicationIDs.joined(separator: ", ")))"
            )
        }
        guard let entity else { return nil }
        return FinanceOperationsWrite(entity: entity, operation: operation, key: key, company: company, body: body, application: application)
    }

    package func readSource(_ key: String, _ map: ConfigFields, context: ReadContext) -> (any SourceSettings)? {
        guard key == "changes", let entity = map.string("entity") else { return nil }
        var changes = FinanceOperationsChanges(entity: entity, select: map.stringList("select") ?? [], company: map.string("company")?.lowercased())
        if let field = map.string("modified_field") { changes.modifiedField = field }
        if let interval = map.duration("interval") { changes.interval = interval }
        if let initial = map.bool("initial_load") { changes.initialLoad = initial }
        return changes
    }

    public func makeFeed(_ source: PolledSource, connector: any Connector) throws(ConnectorSetupError) -> any ChangeFeed {
        guard let changes = source.settings as? FinanceOperationsChanges, let connector = connector as? FinanceOperationsConnector else {
            throw ConnectorSetupError("source.\(source.key) is not a Finance & Operations polled entity")
        }
        return FinanceOperationsChangeFeed(connector: connector, changes: changes)
    }

    /// No published limits: concurrency from 4 up to `defaultMaxConcurrent` (or the declared
    /// maximum), adapting to `429`s, unless `adaptive: false`.
    public func limits(declared: SystemLimits, windowGiven: Bool, adaptive: Bool?) -> SystemLimits {
        var limits = declared
        limits.maxConcurrent = limits.maxConcurrent ?? Self.defaultMaxConcurrent
        if adaptive ?? true, let maximum = limits.maxConcurrent { limits.adaptiveStart = min(4, maximum) }
        return limits
    }

    public func planning(of connection: (any ConnectionSettings)?, window: Duration) -> PlanningFacts {
        var facts = PlanningFacts()
        let settings = connection as? FinanceOperationsConnectionSettings
        facts.users = settings?.applicationIDs.count ?? 1
        facts.batchSize = settings?.batchSize ?? 1
        facts.documentedSource =
            "none: Finance & Operations throttles by the environment's resource use and priority, with unpublished thresholds (learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/priority-based-throttling)"
        if let settings { facts.userIDs = settings.applicationIDs }
        return facts
    }

    /// Eight batches' worth when writes are batched (at most 2,000), so batches fill up; 16 otherwise.
    public func defaultConcurrency(connection: (any ConnectionSettings)?) -> Int {
        let batchSize = (connection as? FinanceOperationsConnectionSettings)?.batchSize ?? 1
        return batchSize > 1 ? min(batchSize * 8, 2_000) : 16
    }

    public func makeConnector(_ context: ConnectorContext) throws(ConnectorSetupError) -> any Connector {
        guard let settings = context.connection.settings as? FinanceOperationsConnectionSettings, let url = settings.environmentURL else {
            throw ConnectorSetupError("system '\(context.system.id)' has no complete Finance & Operations connection")
        }
        do {
            return try FinanceOperationsConnector(
                environmentURL: url, settings: settings,
                maxConnections: max(8, min(context.maxConnections, context.budget.limits.maxConcurrent ?? context.maxConnections)),
                budget: context.budget)
        } catch {
            throw ConnectorSetupError("the Finance & Operations connector for '\(context.system.id)' cannot start: \(error)")
        }
    }

    /// The decoder of the spec's one webhook format, with the spec's default idempotency key.
    public func webhookFormat(_ name: String) -> WebhookFormat? {
        guard let format = spec.webhookFormats.first(where: { $0.name == name }) else { return nil }
        return WebhookFormat(name: name, defaultIdempotencyKey: format.defaultIdempotencyKey.flatMap(JSONPath.init)) { payload throws(IngestError) in
            try FinanceOperationsBusinessEvent.flatten(payload)
        }
    }

    /// The request as `switchboard test` shows it, without asking the service anything: an
    /// upsert is shown as the update it is when the record exists.
    public func preview(_ delivery: Delivery, connection: Connection?) throws(StepError) -> OutboundRequest {
        let settings = connection?.settings as? FinanceOperationsConnectionSettings
        let url = settings?.environmentURL ?? connection?.address ?? ""
        let write = try FinanceOperationsRequests.write(for: delivery, defaultCompany: settings?.defaultCompany)
        return write.request(write.action(exists: true), environmentURL: url.hasSuffix("/") ? String(url.dropLast()) : url)
    }
}
