/// `switchboard.yaml`: the organisation's goals, its systems, environments, the listener and the store.
public struct Landscape: Sendable {
    /// Format version; only `1` exists.
    public var version: Int
    public var goals: [Goal]
    public var systems: [SystemDefinition]
    /// Environment names in order; the first is the default for `run`, `validate` and `test`.
    public var environments: [String]
    public var server: ServerSettings
    public var store: StoreSettings
    /// Alert rules. Default none.
    public var alerts: [AlertRule] = []
    /// Architecture principles. Default none.
    public var principles: [Principle] = []
    /// Severities and suppressions for `switchboard check`.
    public var check: CheckSettings = CheckSettings()

    public func system(_ id: String) -> SystemDefinition? { systems.first { $0.id == id } }
}

/// An organisation goal that integrations align with.
public struct Goal: Sendable, Hashable {
    public var id: String
    public var title: String
}

/// Where the hub listens and how it treats inbound requests.
public struct ServerSettings: Sendable {
    /// Host to bind. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to bind. Default `8080`; `0` picks a free port.
    public var port: Int = 8080
    /// Largest accepted inbound body. Default 1 MiB (1,048,576 bytes).
    public var maxBodyBytes: Int = 1 << 20
    /// How long a graceful shutdown waits for in-flight deliveries. Default 10 s.
    public var shutdownGrace: Duration = .seconds(10)
    /// PEM certificate chain and private key files (absolute paths) to serve HTTPS with; nil: HTTP.
    public var tls: (certificate: String, key: String)?

    public init() {}
}

/// How the hub keeps its state.
public struct StoreSettings: Sendable {
    public enum Durability: String, Sendable, CaseIterable {
        /// Every acknowledged message has reached the disk (fsync) before the source is answered. The default.
        case full
        /// Commits reach the operating system but not necessarily the disk: a power loss may lose
        /// the last moments of acknowledged messages; a crash of the hub process alone does not.
        case normal
    }

    /// SQLite file, relative to the workspace. Default `.switchboard/state.sqlite`.
    public var path: String = ".switchboard/state.sqlite"
    /// Default `.full`.
    public var durability: Durability = .full
    /// How long audit records and finished (delivered, filtered) messages are kept. Default 7 days.
    public var retention: Duration = .seconds(7 * 86_400)

    public init() {}
}

/// A system in the landscape: a source, a target or both.
public struct SystemDefinition: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case http, dataverse, postgres, sqlite, files
    }

    public enum Location: String, Sendable, CaseIterable {
        case cloud
        case onPremises = "on-premises"
    }

    public var id: String
    public var kind: Kind
    /// Nil when not declared (`check` reports it, SB110).
    public var location: Location?
    public var owner: String?
    public var description: String?
    /// Connection settings by environment name.
    public var connections: [String: Connection]
    /// Limits shared by every integration that writes to this system. Nil fields mean unlimited.
    public var limits: SystemLimits
    public var declaredAt: SourceLocation
    /// What it costs, for `plan`. Nil: not declared.
    public var cost: CostModel?
}

/// How to reach a system in one environment.
public struct Connection: Sendable {
    /// Base URL that target paths are appended to, for example `https://erp.example.com`; for a
    /// Dataverse system, the environment URL (`https://contoso.crm.dynamics.com`).
    public var baseURL: String?
    /// Headers sent with every request; values may hold secret references (resolved for the active environment).
    public var headers: [String: String]
    /// How a Dataverse system is signed in to; nil for other kinds.
    public var dataverse: DataverseCredentials?

    public init(baseURL: String?, headers: [String: String], dataverse: DataverseCredentials? = nil) {
        self.baseURL = baseURL
        self.headers = headers
        self.dataverse = dataverse
    }
}

/// OAuth 2.0 client credentials of a Dataverse application user.
public struct DataverseCredentials: Sendable {
    /// The token authority. Default `https://login.microsoftonline.com`.
    public var authority: String
    public var tenant: String
    public var clientID: String
    /// Resolved from its reference for the active environment; never written in a file.
    public var clientSecret: String
    /// A PEM file of certificate authorities to trust besides the system's (the emulator's `ca.pem`).
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

    public enum BatchMode: String, Sendable, CaseIterable {
        /// One `$batch` request whose writes each succeed or fail on their own.
        case batch
        /// The bulk messages (`UpsertMultiple`, `CreateMultiple`, `UpdateMultiple`), which cost
        /// the service less time per record but succeed or fail as a whole: when one is refused,
        /// its writes are sent again as a `$batch` so that each gets its own answer. Deletes
        /// always go in a `$batch`.
        case multiple
    }

    public init(authority: String = "https://login.microsoftonline.com", tenant: String, clientID: String, clientSecret: String, caFile: String? = nil) {
        self.authority = authority
        self.tenant = tenant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.caFile = caFile
    }
}

/// A target system's budget: the hub never exceeds it, whichever integrations share the system.
public struct SystemLimits: Sendable, Hashable {
    /// Requests in flight at once. Nil: no limit.
    public var maxConcurrent: Int?
    /// Requests allowed per sliding `window`. Nil: no limit.
    public var maxRequests: Int?
    /// Length of the sliding window for `maxRequests` and `maxExecution`. Default 1 s.
    public var window: Duration = .seconds(1)
    /// Combined time requests may take per sliding `window` (the time from sending a request to
    /// its answer, summed). Nil: no limit.
    public var maxExecution: Duration?
    /// Requests (Dataverse: operations, each write in a batch counted) allowed per 24 hours by the
    /// system's entitlement. Nil: none. Used by `plan` and `check`, not enforced.
    public var requestsPerDay: Int?
    /// The time one record takes the system to write, for `plan`. Nil: not known.
    public var timePerRecord: Duration?
    /// Concurrency that adapts to the target's answers, starting here: halved on a `429`, grown by
    /// one per round of clean answers up to `maxConcurrent`, and set to the target's own hint
    /// (Dataverse's `x-ms-dop-hint`) when one comes. Nil: fixed at `maxConcurrent`.
    public var adaptiveStart: Int?

    public init(maxConcurrent: Int? = nil, maxRequests: Int? = nil, window: Duration = .seconds(1), maxExecution: Duration? = nil, adaptiveStart: Int? = nil) {
        self.maxConcurrent = maxConcurrent
        self.maxRequests = maxRequests
        self.window = window
        self.maxExecution = maxExecution
        self.adaptiveStart = adaptiveStart
    }

    /// Dataverse's service protection limits per application user, scaled to a sliding window of
    /// `window` (the documented one is 300 s): 6,000 requests and 1,200 s of combined execution
    /// time per 300 s, 52 concurrent requests, and the daily pool of 500,000 requests of a
    /// Dynamics 365 Enterprise or Professional tenant's non-licensed identities.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/api-limits and
    /// https://learn.microsoft.com/power-platform/admin/api-request-limits-allocations
    public static func dataverse(window: Duration = .seconds(300)) -> SystemLimits {
        let share = Double(window.milliseconds) / 300_000
        var limits = SystemLimits(maxConcurrent: 52, maxRequests: max(1, Int((6_000 * share).rounded())), window: window,
                                  maxExecution: .milliseconds(Int64((1_200_000 * share).rounded())))
        limits.requestsPerDay = 500_000
        return limits
    }

    /// The limits of `users` application users together: a Dataverse system's limits are per
    /// user, so each user added adds a full set of them.
    public func times(_ users: Int) -> SystemLimits {
        guard users > 1 else { return self }
        var scaled = self
        scaled.maxConcurrent = maxConcurrent.map { $0 * users }
        scaled.maxRequests = maxRequests.map { $0 * users }
        scaled.maxExecution = maxExecution.map { $0 * users }
        scaled.adaptiveStart = adaptiveStart.map { $0 * users }
        return scaled
    }
}
