import Foundation
import SwitchboardEngine
import SwitchboardModel

/// `kind: dataverse`: a Dataverse environment (Dynamics 365 Customer Engagement, Power Apps)
/// through its Web API, signed in as one or more application users.
public struct DataverseKind: ConnectorRuntime {
    public init() {}

    static let documentedLimitsSource =
        "Microsoft's service protection limit per user (learn.microsoft.com/power-apps/developer/data-platform/api-limits)"
    static let entitlementSource =
        "the non-licensed pool's base for Dynamics 365 Enterprise and Professional tenants, 500,000 + 5,000 per licence (learn.microsoft.com/power-platform/admin/api-request-limits-allocations)"

    static let userFields = [
        FieldSpec("client_id", .string, required: true, doc: "The application user's client (application) id."),
        FieldSpec("client_secret", .secret, required: true, doc: "Its client secret, as a reference."),
    ]

    public let spec = ConnectorSpec(
        kind: "dataverse", title: "Dataverse",
        summary: "A Dataverse environment's Web API: record writes, $batch and bulk messages, change tracking, webhooks.",
        description: """
            Signs in with the OAuth 2.0 client-credentials grant as each application user, renews \
            the token before it expires and sends each write as a Web API request: `PATCH` by key \
            for an upsert, `If-Match: *` for an update, `POST` for a create, `DELETE`. With \
            `batch_size` above 1, writes that arrive together share one `$batch` request (each with \
            its own answer), or with `batch_with: multiple` one `UpsertMultiple`/`CreateMultiple`/\
            `UpdateMultiple` message that is sent again as a `$batch` when refused, so only the bad \
            record is dead. The system's budget counts every HTTP request and its execution time, \
            as the service's limits do; a `429` pauses the throttled user only, and the service's \
            `x-ms-dop-hint` sets the concurrency. Busy-server codes, SQL deadlocks and the \
            upsert race on a new key are retried although their status is a 4xx.
            """,
        connection: [
            FieldSpec("base_url", .url, doc: "The environment URL (required).", example: "https://contoso.crm.dynamics.com"),
            FieldSpec("headers", .headers, doc: "Headers sent with every request besides the bearer token."),
            FieldSpec(
                "authority", .url, default: "https://login.microsoftonline.com", doc: "The token authority; the emulator's URL for local work."),
            FieldSpec("tenant", .string, required: true, doc: "The Microsoft Entra tenant id."),
            FieldSpec("client_id", .string, required: true, doc: "The application user's client (application) id."),
            FieldSpec("client_secret", .secret, required: true, doc: "Its client secret.", example: "${env:DATAVERSE_SECRET}"),
            FieldSpec(
                "ca_file", .string,
                doc: "A PEM file of authorities to trust besides the system's (the emulator's `ca.pem`), relative to the workspace."),
            OutboundClient.connectTimeoutField,
            FieldSpec("batch_size", .integer, default: "1", doc: "Writes sent together in one request, at most 1000; 1 sends each alone."),
            FieldSpec("batch_wait", .duration, default: "10ms", doc: "How long a write waits for others to share its request."),
            FieldSpec(
                "batch_with", .choice(DataverseConnectionSettings.BatchMode.allCases.map(\.rawValue)), default: "batch",
                doc: "`batch`: one `$batch`, each write answered alone; `multiple`: the bulk messages, which cost the service less time per record."),
            FieldSpec(
                "more_users", .objectList(DataverseKind.userFields),
                doc: "More application users to spread the load over; each has its own service protection limits."),
        ],
        addressField: "base_url",
        target: [
            FieldSpec("table", .string, required: true, doc: "The table's entity set name.", example: "salesorders"),
            FieldSpec(
                "operation", .choice(DataverseWrite.Operation.allCases.map(\.rawValue)), default: "upsert",
                doc: "`upsert` creates or updates by key, so a repeated delivery is harmless."),
            FieldSpec(
                "key", .pathMap,
                doc:
                    "Key columns and where their values are: an alternate key, or the primary id alone (required unless `create`); each value is written as its column's type in the table's metadata.",
                example: "{ ordernumber: $.order_number }"),
            FieldSpec(
                "body", .path, default: "$", doc: "What is sent as the record's columns (lookups as `column@odata.bind`, built with `odata_bind`)."),
            FieldSpec(
                "user", .string,
                doc:
                    "The application user (its `client_id`, the connection's or one of `more_users`) this integration writes as; default each write goes to the next user not throttled. `plan` counts each user's limits apart."
            ),
        ],
        sources: [
            SourceSpec(
                key: "changes", summary: "reads a Dataverse table's changes",
                fields: [
                    FieldSpec(
                        "table", .string, required: true, doc: "The table's entity set name; change tracking must be enabled for it.",
                        example: "accounts"),
                    FieldSpec("select", .stringList, doc: "Columns read; default all (`check` asks for a list, SB180)."),
                    FieldSpec("interval", .duration, default: "10s", doc: "Time between polls once caught up."),
                    FieldSpec("initial_load", .boolean, default: "true", doc: "Whether the first poll turns every existing record into a message."),
                    FieldSpec(
                        "expired_token", .choice(DataverseChanges.ExpiredToken.allCases.map(\.rawValue)), default: "fail",
                        doc:
                            "When Dataverse refuses the saved delta link (expired, or the environment restored): `fail` keeps the source failing on the dashboard until someone decides; `initial_load` reads the whole table again; `latest` goes on from the table as it is now, and changes in between are never sent."
                    ),
                ],
                position: "the table's delta link, saved in the same transaction as the messages read up to it", recordFields: ["attributes"])
        ],
        webhookFormats: [
            WebhookFormatSpec(
                name: "dataverse",
                summary:
                    "A Dataverse webhook's `RemoteExecutionContext`, stored as a flat document (`message`, `table`, `id`, `attributes`, images).",
                defaultIdempotencyKey: "$.operation_id", carriesWholeRecords: true,
                readsDescription: "a Dataverse webhook (its table is set where the webhook is registered)",
                messages: ["Create", "Update", "Delete"], recordFields: ["attributes", "pre_image", "post_image"])
        ],
        usualLocation: .cloud,
        idempotency: "`upsert`, `update` and `delete` by key are harmless when repeated; `create` is not (SB150).",
        limits:
            "Microsoft's per-user service protection limits (6,000 requests and 1,200 s of execution per 300 s, 52 concurrent) times the application users, scaled to `limits.window`; 500,000 operations a day; concurrency adapts from 4",
        references: [
            "https://learn.microsoft.com/power-apps/developer/data-platform/api-limits",
            "https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api",
            "https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems",
            "https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks",
        ])

    package func readConnection(_ map: ConfigFields, context: ReadContext) -> (any ConnectionSettings)? {
        let headers = context.headers(map["headers"])
        let baseURL = context.url(map["base_url"])
        if baseURL == nil {
            map.value.report("\(map.path).base_url is required for a Dataverse system: the environment URL, such as https://contoso.crm.dynamics.com")
        }
        let tenant = map.string("tenant")
        let clientID = map.string("client_id")
        let secret = context.secret(map["client_secret"])
        let authority = map.string("authority") ?? "https://login.microsoftonline.com"
        if !authority.hasPrefix("https://") { map["authority"]?.report("\(map.path).authority must start with https://") }
        var batchSize = 1
        if let size = map.int("batch_size", min: 1) {
            if size > DataverseLimits.batchRequests {
                map["batch_size"]?.report("\(map.path).batch_size must be at most 1000, the most requests a $batch may hold")
            }
            batchSize = min(size, DataverseLimits.batchRequests)
        }
        var additionalUsers: [(clientID: String, clientSecret: String)] = []
        for user in map.objects("more_users") {
            if let id = user.string("client_id"), let userSecret = context.secret(user["client_secret"]) {
                additionalUsers.append((id, userSecret.value))
            }
        }
        let caFile = map.string("ca_file").map(context.absolutePath)
        // Checked where the workspace is read to run (validate, test, run), as secrets are; a
        // review (check, plan) in CI does without the local emulator's files.
        if context.resolveSecrets, let caFile, !FileManager.default.fileExists(atPath: caFile) {
            map["ca_file"]?.report("\(map.path).ca_file names \(caFile), which does not exist")
        }
        guard let tenant, let clientID, let secret else { return IncompleteDataverseConnection(address: baseURL) }
        var settings = DataverseConnectionSettings(
            environmentURL: baseURL, authority: authority, tenant: tenant, clientID: clientID, clientSecret: secret.value,
            caFile: caFile)
        settings.headers = headers
        settings.batchSize = batchSize
        if let wait = map.duration("batch_wait") { settings.batchWait = wait }
        if let mode = map.choice("batch_with", DataverseConnectionSettings.BatchMode.self) { settings.batchMode = mode }
        settings.additionalUsers = additionalUsers
        settings.connectTimeout = OutboundClient.readConnectTimeout(map)
        return settings
    }

    /// `dataverse: { table: salesorders, operation: upsert, key: { ordernumber: $.order_number } }`.
    package func readTarget(_ map: ConfigFields, context: ReadContext) -> (any TargetSettings)? {
        let table = map.string("table")
        if let table, table.contains("(") || table.contains("/") {
            map["table"]?.report("target.dataverse.table is the entity set name alone, such as salesorders")
        }
        let operation = map.choice("operation", DataverseWrite.Operation.self) ?? .upsert
        var key: [(column: String, path: JSONPath)] = []
        for entry in map["key"]?.mapping()?.entries ?? [] {
            if let path = StepReader.readPath(entry.value) { key.append((entry.key, path)) }
        }
        if operation != .create, key.isEmpty, map["key"] == nil {
            map.value.report(
                "target.dataverse.key is required to \(operation.rawValue): the key columns and where their values are, such as { ordernumber: $.order_number }"
            )
        }
        let body = map["body"].flatMap { StepReader.readPath($0) } ?? JSONPath("$")!
        let user = map.string("user")
        if let user, let connection = context.connection?.settings as? DataverseConnectionSettings {
            let known = [connection.clientID] + connection.additionalUsers.map(\.clientID)
            if !known.contains(user) {
                map["user"]?.report(
                    "target.dataverse.user '\(user)' is not an application user of the system's connection (\(known.joined(separator: ", ")))")
            }
        }
        guard let table else { return nil }
        return DataverseWrite(table: table, operation: operation, key: key, body: body, user: user)
    }

    package func readSource(_ key: String, _ map: ConfigFields, context: ReadContext) -> (any SourceSettings)? {
        guard key == "changes", let table = map.string("table") else { return nil }
        var changes = DataverseChanges(table: table, select: map.stringList("select") ?? [])
        if let interval = map.duration("interval") { changes.interval = interval }
        if let initial = map.bool("initial_load") { changes.initialLoad = initial }
        if let expired = map.choice("expired_token", DataverseChanges.ExpiredToken.self) { changes.expiredToken = expired }
        return changes
    }

    /// Microsoft's limits per application user for what the workspace left out, scaled to a
    /// shorter window when one is given, and concurrency that starts at 4 and adapts unless
    /// `adaptive: false`.
    public func limits(declared: SystemLimits, windowGiven: Bool, adaptive: Bool?) -> SystemLimits {
        var limits = declared
        if !windowGiven { limits.window = .seconds(300) }
        let documented = DataverseLimits.documented(window: limits.window)
        limits.maxConcurrent = limits.maxConcurrent ?? documented.maxConcurrent
        limits.maxRequests = limits.maxRequests ?? documented.maxRequests
        limits.maxExecution = limits.maxExecution ?? documented.maxExecution
        limits.requestsPerDay = limits.requestsPerDay ?? documented.requestsPerDay
        if adaptive ?? true, let maximum = limits.maxConcurrent { limits.adaptiveStart = min(4, maximum) }
        return limits
    }

    public func planning(of connection: (any ConnectionSettings)?, window: Duration) -> PlanningFacts {
        var facts = PlanningFacts()
        let settings = connection as? DataverseConnectionSettings
        facts.users = settings?.users ?? 1
        facts.batchSize = settings?.batchSize ?? 1
        facts.limitsPerUser = true
        facts.documented = DataverseLimits.documented(window: window)
        facts.documentedSource = Self.documentedLimitsSource
        facts.entitlementCountsOperations = true
        facts.entitlementSource = Self.entitlementSource
        if let settings { facts.userIDs = [settings.clientID] + settings.additionalUsers.map(\.clientID) }
        return facts
    }

    /// The limits are per application user, so the hub holds all users' together, with the usual
    /// margin (`SystemLimits.margin`: 3 s of the 5-minute window).
    public func enforcedLimits(_ limits: SystemLimits, connection: (any ConnectionSettings)?) -> (limits: SystemLimits, margin: Duration) {
        (limits.times((connection as? DataverseConnectionSettings)?.users ?? 1), limits.margin)
    }

    /// 16, or eight batches' worth when writes are batched, so that batches fill up.
    public func defaultConcurrency(connection: (any ConnectionSettings)?) -> Int {
        let batchSize = (connection as? DataverseConnectionSettings)?.batchSize ?? 1
        return batchSize > 1 ? batchSize * 8 : 16
    }

    public func makeConnector(_ context: ConnectorContext) throws(ConnectorSetupError) -> any Connector {
        guard let settings = context.connection.settings as? DataverseConnectionSettings, let url = settings.environmentURL else {
            throw ConnectorSetupError("system '\(context.system.id)' has no complete Dataverse connection")
        }
        do {
            return try DataverseConnector(
                environmentURL: url, settings: settings,
                maxConnections: max(8, min(context.maxConnections, context.budget.limits.maxConcurrent ?? context.maxConnections)),
                budget: context.budget)
        } catch {
            throw ConnectorSetupError("the Dataverse connector for '\(context.system.id)' cannot start: \(error)")
        }
    }

    public func makeFeed(_ source: PolledSource, connector: any Connector) throws(ConnectorSetupError) -> any ChangeFeed {
        guard let changes = source.settings as? DataverseChanges, let connector = connector as? DataverseConnector else {
            throw ConnectorSetupError("source.\(source.key) is not a Dataverse change tracking source")
        }
        return DataverseChangeFeed(connector: connector, changes: changes)
    }

    /// The decoder of the spec's one webhook format, with the spec's default idempotency key.
    public func webhookFormat(_ name: String) -> WebhookFormat? {
        guard let format = spec.webhookFormats.first(where: { $0.name == name }) else { return nil }
        return WebhookFormat(name: name, defaultIdempotencyKey: format.defaultIdempotencyKey.flatMap(JSONPath.init)) { context throws(IngestError) in
            try DataverseExecutionContext.flatten(context)
        }
    }

    /// The request as `switchboard test` shows it, without asking the service for the table's
    /// metadata: a single key column named like a primary id (`accountid`) holding a GUID is taken
    /// for the primary id, other text is quoted and numbers are bare.
    public func preview(_ delivery: Delivery, connection: Connection?) throws(StepError) -> OutboundRequest {
        let url = (connection?.settings as? DataverseConnectionSettings)?.environmentURL ?? connection?.address ?? ""
        var guessed: DataverseTable?
        if let write = delivery.target as? DataverseWrite, write.operation != .create {
            let single = write.key.count == 1 ? write.key[0] : nil
            let primaryID = single.flatMap { key in
                key.column.hasSuffix("id") && key.path.value(in: delivery.document).map { ODataLiteral.isGUID($0.text) } == true ? key.column : nil
            }
            guessed = DataverseTable(logicalName: "", primaryID: primaryID ?? "", columnTypes: [:])
        }
        return try DataverseRequests.write(for: delivery, table: guessed).request(environmentURL: url.hasSuffix("/") ? String(url.dropLast()) : url)
    }
}
