import SwitchboardEngine
import SwitchboardModel

/// A Dataverse environment's connection: its URL and the OAuth 2.0 client credentials of its
/// application users, and how writes are gathered into requests.
public struct DataverseConnectionSettings: ConnectionSettings {
    /// The environment URL, for example `https://contoso.crm.dynamics.com`.
    public var environmentURL: String?
    /// Headers sent with every request besides the bearer token.
    public var headers: [String: String] = [:]
    /// The token authority. Default `https://login.microsoftonline.com`.
    public var authority: String
    public var tenant: String
    public var clientID: String
    /// Resolved from its reference for the active environment; never written in a file.
    public var clientSecret: String
    /// A PEM file of certificate authorities to trust besides the system's (the emulator's `ca.pem`), absolute.
    public var caFile: String?
    /// More application users (client id and resolved secret) to spread the load over, as
    /// Microsoft recommends: each has its own service protection limits. Default none.
    public var additionalUsers: [(clientID: String, clientSecret: String)] = []
    /// Writes sent together in one `$batch` request, each with its own result. Default 1 (no batching).
    public var batchSize: Int = 1
    /// How long a write waits for others to share its batch. Default 10 ms.
    public var batchWait: Duration = .milliseconds(10)
    /// How gathered writes are sent. Default `.batch`.
    public var batchMode: BatchMode = .batch
    /// How long establishing a connection may take before the attempt fails. Default 3 s.
    public var connectTimeout: Duration = OutboundClient.defaultConnectTimeout

    public enum BatchMode: String, Sendable, CaseIterable {
        /// One `$batch` request whose writes each succeed or fail on their own.
        case batch
        /// The bulk messages (`UpsertMultiple`, `CreateMultiple`, `UpdateMultiple`), which cost
        /// the service less time per record but succeed or fail as a whole: when one is refused,
        /// its writes are sent again as a `$batch` so that each gets its own answer. Deletes
        /// always go in a `$batch`.
        case multiple
    }

    public init(
        environmentURL: String?, authority: String = "https://login.microsoftonline.com", tenant: String, clientID: String, clientSecret: String,
        caFile: String? = nil
    ) {
        self.environmentURL = environmentURL
        self.authority = authority
        self.tenant = tenant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.caFile = caFile
    }

    public var address: String? { environmentURL }

    /// Application users signed in as: the primary one and `additionalUsers`.
    public var users: Int { 1 + additionalUsers.count }
}

/// A connection of a Dataverse system whose credentials are incomplete: its URL alone, so the
/// reader can still say what is missing and `check` can still see the environment.
struct IncompleteDataverseConnection: ConnectionSettings {
    var address: String?
}

/// Writes each message as one record of a Dataverse table: the document after the steps is the
/// record's columns (lookups as `x@odata.bind`).
public struct DataverseWrite: TargetSettings {
    public enum Operation: String, Sendable, CaseIterable {
        /// Create or update by key (the default: a repeated delivery is harmless).
        case upsert
        case create
        /// Update only (`If-Match: *`); a missing record is an error.
        case update
        case delete
    }

    /// The table's entity set name, for example `salesorders`.
    public var table: String
    /// Default upsert.
    public var operation: Operation
    /// Key columns and where each value is read: an alternate key, or the primary id alone.
    public var key: [(column: String, path: JSONPath)]
    /// What is sent as the record. Default `$`.
    public var body: JSONPath
    /// The application user (its client id) every write is sent as; nil: each write goes to the
    /// next user not throttled.
    public var user: String?

    public init(
        table: String, operation: Operation = .upsert, key: [(column: String, path: JSONPath)], body: JSONPath = JSONPath("$")!, user: String? = nil
    ) {
        self.table = table
        self.operation = operation
        self.key = key
        self.body = body
        self.user = user
    }

    public var identity: String? { user }

    public var summary: String {
        "Dataverse `\(operation.rawValue)` into `\(table)`" + (key.isEmpty ? "" : " by " + key.map { "`\($0.column)`" }.joined(separator: ", "))
    }

    public var footprint: DataFootprint {
        DataFootprint(table: table, description: "target.dataverse \(operation.rawValue) into \(table)")
    }

    public var idempotencyProblem: (message: String, path: [String])? {
        guard operation == .create else { return nil }
        return (
            "creates Dataverse records, so a repeated delivery creates a second record; upsert by a key instead",
            ["target", "dataverse", "operation"]
        )
    }
}

/// A Dataverse table read through change tracking (`source.changes`): the hub follows the
/// table's `@odata.deltaLink` and turns every created or updated record into an `Upsert` message
/// and every deleted one into a `Delete` message.
/// https://learn.microsoft.com/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
public struct DataverseChanges: SourceSettings {
    /// The table's entity set name, for example `accounts`.
    public var table: String
    /// Columns read (`$select`). Default: all.
    public var select: [String]
    /// Time between polls once the hub has caught up. Default 10 s.
    public var interval: Duration = .seconds(10)
    /// Whether the first poll turns every existing record into a message. Default true; false
    /// starts from the table as it is and sends only later changes.
    public var initialLoad: Bool = true
    /// What the hub does when the service refuses the saved delta link. Default `fail`.
    public var expiredToken: ExpiredToken = .fail

    /// What the hub does when Dataverse refuses the saved delta link: it expired (after the
    /// organization's `ExpireChangeTrackingInDays`), or the environment was restored or reset.
    public enum ExpiredToken: String, Sendable, Hashable, CaseIterable {
        /// The source fails, on the dashboard and in the log, until someone decides.
        case fail
        /// Reads the whole table again: every record becomes a message again.
        case initialLoad = "initial_load"
        /// Starts from the table as it is now: changes made in between are never sent.
        case latest
    }

    public init(
        table: String, select: [String] = [], interval: Duration = .seconds(10), initialLoad: Bool = true, expiredToken: ExpiredToken = .fail
    ) {
        self.table = table
        self.select = select
        self.interval = interval
        self.initialLoad = initialLoad
        self.expiredToken = expiredToken
    }

    public var summary: String {
        "change tracking of `\(table)`, every \(interval.spoken)" + (select.isEmpty ? ", all columns" : ", columns \(select.joined(separator: ", "))")
    }

    public var footprint: DataFootprint {
        DataFootprint(table: table, columns: select, description: "source.changes reads \(table)")
    }

    public func replicationProblem(mapped: Bool) -> (message: String, path: [String])? {
        if select.isEmpty { return ("reads every column of '\(table)'; select the ones it uses", ["source", "changes"]) }
        if !mapped { return ("passes whole Dataverse records on without a map step that keeps the fields the target uses", ["steps"]) }
        return nil
    }
}
