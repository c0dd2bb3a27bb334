/// What a connector kind says about itself: the fields of its connections, targets and sources,
/// their documentation, and what it does. One spec per kind; the workspace reader, `check`,
/// `plan`, `impact`, `docs` and the connector reference all read it, so none keeps a kind list
/// of its own.
public struct ConnectorSpec: Sendable {
    /// The word written as `systems[].kind`, and as the target's key (`target.dataverse`).
    public var kind: String
    /// The product's name in sentences, such as `Dataverse`.
    public var title: String
    /// One line for listings.
    public var summary: String
    /// A paragraph for the reference: behaviour, guarantees, defaults.
    public var description: String
    /// Fields of `systems[].connections.ENV`. Empty: systems of this kind take no connection.
    public var connection: [FieldSpec]
    /// The connection field that says where the system is reached (for messages such as
    /// "has no connection with a base_url"); nil when there is none.
    public var addressField: String?
    /// Fields of `target.KIND`; nil when the hub cannot deliver to this kind.
    public var target: [FieldSpec]?
    /// Polled sources this kind offers, each under its own key in `source`.
    public var sources: [SourceSpec]
    /// Webhook payload formats this kind offers (`source.webhook.format`).
    public var webhookFormats: [WebhookFormatSpec]
    /// Where systems of this kind usually run, as a hint for the landscape; nil: either.
    public var usualLocation: SystemDefinition.Location?
    /// Whether a write repeated by a retry is harmless, in words, for the reference.
    public var idempotency: String
    /// Limits a system of this kind has unless the workspace says otherwise, in words.
    public var limits: String
    /// Microsoft's (or the product's) pages the behaviour follows.
    public var references: [String]

    public init(
        kind: String, title: String, summary: String, description: String, connection: [FieldSpec] = [], addressField: String? = nil,
        target: [FieldSpec]? = nil, sources: [SourceSpec] = [], webhookFormats: [WebhookFormatSpec] = [],
        usualLocation: SystemDefinition.Location? = nil, idempotency: String = "", limits: String = "none unless `systems[].limits` sets them",
        references: [String] = []
    ) {
        self.kind = kind
        self.title = title
        self.summary = summary
        self.description = description
        self.connection = connection
        self.addressField = addressField
        self.target = target
        self.sources = sources
        self.webhookFormats = webhookFormats
        self.usualLocation = usualLocation
        self.idempotency = idempotency
        self.limits = limits
        self.references = references
    }

    /// True when integrations can deliver to systems of this kind.
    public var canBeTarget: Bool { target != nil }
    /// True when the hub reads from systems of this kind itself (a polled source).
    public var canBePolled: Bool { !sources.isEmpty }
}

/// A source the hub polls, written under `source.KEY`.
public struct SourceSpec: Sendable {
    /// The key in `source`, such as `changes`.
    public var key: String
    /// What it reads, completing "source.KEY ..." in messages: `reads a Dataverse table's changes`.
    public var summary: String
    public var fields: [FieldSpec]
    /// How the position is kept, for the reference.
    public var position: String
    /// Where a record's columns sit in each document it makes (`attributes`), for `impact`.
    public var recordFields: [String]

    public init(key: String, summary: String, fields: [FieldSpec], position: String, recordFields: [String] = []) {
        self.key = key
        self.summary = summary
        self.fields = fields
        self.position = position
        self.recordFields = recordFields
    }
}

/// A webhook payload format a kind offers: what the caller posts and what steps see.
public struct WebhookFormatSpec: Sendable {
    /// The word written as `source.webhook.format`.
    public var name: String
    public var summary: String
    /// Where the idempotency key is read when the integration names none.
    public var defaultIdempotencyKey: String?
    /// True when a message carries a whole record, so `check` asks for a map step (SB180).
    public var carriesWholeRecords: Bool
    /// How `impact` describes what it reads.
    public var readsDescription: String
    /// The messages a sender is registered for, one table at a time (`source.webhook.table` and
    /// `messages`, which `check` asks for); empty: the format is not registered per table.
    public var messages: [String]
    /// Where a record's columns sit in a stored document (`attributes`, images), so `impact`
    /// matches a column only there, not a field of the same name deeper in.
    public var recordFields: [String]

    public init(
        name: String, summary: String, defaultIdempotencyKey: String? = nil, carriesWholeRecords: Bool = false, readsDescription: String,
        messages: [String] = [], recordFields: [String] = []
    ) {
        self.name = name
        self.summary = summary
        self.defaultIdempotencyKey = defaultIdempotencyKey
        self.carriesWholeRecords = carriesWholeRecords
        self.readsDescription = readsDescription
        self.messages = messages
        self.recordFields = recordFields
    }
}
