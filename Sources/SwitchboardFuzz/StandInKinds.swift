import SwitchboardModel

/// Connector kinds for the `workspace` target: the real ones live in SwitchboardConnectors, which
/// links AsyncHTTPClient and SwiftNIO, so the fuzzer stands in kinds named and shaped like them
/// whose readers read every field by its spec's type (`readFields`). The workspace reader,
/// `ConfigFields`, `ReadContext` and the YAML accessors they go through are the product's own.
struct StandInKind: ConnectorKind {
    let spec: ConnectorSpec

    /// The registry the `workspace` target reads with: `http` (a connection, a target, a polled
    /// source and a webhook format, with a field of every type between them), `dataverse` (the
    /// Dataverse kind's field names, so the examples' workspaces read as they are) and `files`
    /// (no fields).
    static let registry = ConnectorRegistry([
        StandInKind(
            spec: ConnectorSpec(
                kind: "http", title: "HTTP", summary: "A stand-in with the HTTP kind's fields.", description: "",
                connection: [
                    FieldSpec("base_url", .url, doc: ""), FieldSpec("headers", .headers, doc: ""), FieldSpec("token", .secret, doc: ""),
                    FieldSpec("timeout", .duration, doc: ""), FieldSpec("users", .integer, doc: ""), FieldSpec("verify", .boolean, doc: ""),
                ],
                addressField: "base_url",
                target: [
                    FieldSpec("method", .choice(["POST", "PUT", "PATCH", "DELETE", "GET"]), doc: ""),
                    FieldSpec("path", .string, required: true, doc: ""), FieldSpec("headers", .headers, doc: ""),
                    FieldSpec("body", .path, doc: ""), FieldSpec("columns", .pathMap, doc: ""), FieldSpec("ratio", .number, doc: ""),
                    FieldSpec("retry", .object([FieldSpec("after", .duration, doc: ""), FieldSpec("codes", .stringList, doc: "")]), doc: ""),
                    FieldSpec(
                        "routes", .objectList([FieldSpec("when", .path, required: true, doc: ""), FieldSpec("path", .string, doc: "")]), doc: ""),
                ],
                sources: [
                    SourceSpec(
                        key: "records", summary: "reads a stand-in's records",
                        fields: [
                            FieldSpec("table", .string, required: true, doc: ""), FieldSpec("interval", .duration, doc: ""),
                            FieldSpec("select", .stringList, doc: ""),
                        ], position: "")
                ],
                webhookFormats: [WebhookFormatSpec(name: "event", summary: "", defaultIdempotencyKey: "$.id", readsDescription: "")])),
        StandInKind(
            spec: ConnectorSpec(
                kind: "dataverse", title: "Dataverse", summary: "A stand-in with the Dataverse kind's fields.", description: "",
                connection: [
                    FieldSpec("base_url", .url, doc: ""), FieldSpec("headers", .headers, doc: ""), FieldSpec("authority", .url, doc: ""),
                    FieldSpec("tenant", .string, required: true, doc: ""), FieldSpec("client_id", .string, required: true, doc: ""),
                    FieldSpec("client_secret", .secret, required: true, doc: ""), FieldSpec("ca_file", .string, doc: ""),
                    FieldSpec("connect_timeout", .duration, doc: ""), FieldSpec("batch_size", .integer, doc: ""),
                    FieldSpec("batch_wait", .duration, doc: ""), FieldSpec("batch_with", .choice(["batch", "multiple"]), doc: ""),
                    FieldSpec(
                        "more_users",
                        .objectList([
                            FieldSpec("client_id", .string, required: true, doc: ""), FieldSpec("client_secret", .secret, required: true, doc: ""),
                        ]),
                        doc: ""),
                ],
                addressField: "base_url",
                target: [
                    FieldSpec("table", .string, required: true, doc: ""),
                    FieldSpec("operation", .choice(["upsert", "create", "update", "delete"]), doc: ""), FieldSpec("key", .pathMap, doc: ""),
                    FieldSpec("body", .path, doc: ""),
                ],
                sources: [
                    SourceSpec(
                        key: "changes", summary: "reads a stand-in table's changes",
                        fields: [
                            FieldSpec("table", .string, required: true, doc: ""), FieldSpec("select", .stringList, doc: ""),
                            FieldSpec("interval", .duration, doc: ""), FieldSpec("initial_load", .boolean, doc: ""),
                        ], position: "")
                ],
                webhookFormats: [WebhookFormatSpec(name: "dataverse", summary: "", defaultIdempotencyKey: "$.operation_id", readsDescription: "")])),
        StandInKind(spec: ConnectorSpec(kind: "files", title: "Files", summary: "A stand-in with no connection.", description: "")),
    ])

    func readConnection(_ fields: ConfigFields, context: ReadContext) -> (any ConnectionSettings)? {
        Self.readFields(fields, context: context)
        // The address as written: `readFields` has reported any problem with it already.
        guard case .scalar(let address, _)? = fields["base_url"]?.shape else { return StandInSettings(address: nil) }
        return StandInSettings(address: address)
    }

    func readTarget(_ fields: ConfigFields, context: ReadContext) -> (any TargetSettings)? {
        Self.readFields(fields, context: context)
        return StandInSettings(address: nil)
    }

    func readSource(_ key: String, _ fields: ConfigFields, context: ReadContext) -> (any SourceSettings)? {
        Self.readFields(fields, context: context)
        return StandInSettings(address: nil)
    }

    /// Reads each field that is present with its spec's accessor, as a real kind's reader does.
    static func readFields(_ fields: ConfigFields, context: ReadContext) {
        for spec in fields.specs {
            guard let value = fields[spec.name] else { continue }
            switch spec.type {
            case .string: _ = value.string()
            case .integer: _ = value.int(min: 1)
            case .number: _ = value.double()
            case .boolean: _ = value.bool()
            case .duration: _ = value.duration()
            case .path: _ = StepReader.readPath(value)
            case .secret: _ = context.secret(value, requireValue: true)
            case .url: _ = context.url(value)
            case .headers: _ = context.headers(value)
            case .choice(let words): _ = value.choice(among: words)
            case .stringList: _ = value.stringList()
            case .pathMap: for entry in value.mapping()?.entries ?? [] { _ = StepReader.readPath(entry.value) }
            case .object: fields.object(spec.name).map { readFields($0, context: context) }
            case .objectList: for item in fields.objects(spec.name) { readFields(item, context: context) }
            }
        }
    }
}

/// What the stand-in kinds' readers make.
struct StandInSettings: ConnectionSettings, TargetSettings, SourceSettings {
    var address: String?
    var summary: String { "a stand-in" }
    var footprint: DataFootprint { DataFootprint(description: summary) }
    var idempotencyProblem: (message: String, path: [String])? { nil }
    var interval: Duration { .seconds(30) }
    func replicationProblem(mapped: Bool) -> (message: String, path: [String])? { nil }
}
