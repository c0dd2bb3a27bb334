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
    /// Default: no traces.
    public var tracing = TracingSettings()
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
    /// Times the hub may stop (crash, be killed) while processing one message before it is dead
    /// as a poison message. Default 3.
    public var maxInterruptions: Int = 3
    /// A connection on which nothing complete arrives for this long (no request head, no part of a
    /// body) is closed without an answer: idle keep-alive connections, headers sent slowly and
    /// bodies that stall alike. Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// Longest a webhook's whole body may take to arrive once its head has; then `408`. Default 30 s.
    public var readTimeout: Duration = .seconds(30)
    /// Most connections open at once; past it the listener stops accepting until one closes
    /// (new ones wait in the kernel's backlog). Default 512, inside the common limit of 1,024
    /// file descriptors with room for the store and the targets.
    public var maxConnections: Int = 512
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (for the sign-in
    /// throttle). Default none: the peer's address is the client's.
    public var trustedProxies: [String] = []
    /// Where people reach the dashboard (through a proxy, say), for links in alerts. Default none.
    public var publicURL: String?
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

    /// Which database keeps the state.
    public enum Kind: String, Sendable, CaseIterable {
        /// One SQLite file beside the workspace: one node. The default.
        case sqlite
        /// A PostgreSQL database that several nodes share (`url`).
        case postgres
    }

    /// Default `.sqlite`.
    public var kind: Kind = .sqlite
    /// SQLite file, relative to the workspace. Default `.switchboard/state.sqlite`.
    public var path: String = ".switchboard/state.sqlite"
    /// The PostgreSQL database, `postgres://user:password@host:port/database?sslmode=require`
    /// with its references resolved (`PostgresURL`); nil with `kind: sqlite`, or when it cannot be
    /// resolved here (`check`, `plan`).
    public var url: String?
    /// Most connections a node opens to PostgreSQL. Default 10.
    public var poolSize = 10
    /// Default `.full`.
    public var durability: Durability = .full
    /// How long audit records and finished (delivered, filtered) messages are kept. Default 7 days.
    public var retention: Duration = .seconds(7 * 86_400)
    /// Which delivery attempts keep the request they sent in the audit log. Default `.all`.
    public var auditRequests: RequestRecording = .all

    public init() {}
}

/// Where the hub sends its OpenTelemetry traces (`tracing` in switchboard.yaml): a span per
/// webhook received, per step and per delivery attempt, exported over OTLP/HTTP (protobuf).
public struct TracingSettings: Sendable {
    /// The collector's OTLP/HTTP address, such as `http://otel-collector:4318` (`/v1/traces` is
    /// added unless given); nil: no traces are recorded.
    public var endpoint: String?
    /// The endpoint with its references resolved; nil when they cannot be here (check, plan).
    public var resolvedEndpoint: String?
    /// `service.name` of the spans. Default `switchboard`.
    public var serviceName = "switchboard"
    /// Share of new traces recorded, 0 to 1; a trace the sender sampled is always recorded.
    /// Default 1.
    public var sampleRatio = 1.0
    /// Headers sent with each export (a collector's API key), references resolved.
    public var headers: [(String, String)] = []
    /// Longest a finished span waits before it is exported. Default 5 s.
    public var exportInterval: Duration = .seconds(5)

    public init() {}
}

/// Which delivery attempts keep the request they sent (method, URL, headers with credentials
/// redacted, body cut at `AuditRecord.detailLimit`) in the audit log, for `messages show`.
public enum RequestRecording: String, Sendable, Hashable, CaseIterable {
    /// Every attempt.
    case all
    /// Attempts that did not deliver (retried, dead, interrupted): a delivered message's request
    /// is not kept, which saves about its body's size per message in the store.
    case failures
    /// None.
    case none
}

/// A system in the landscape: a source, a target or both.
public struct SystemDefinition: Sendable {
    public enum Location: String, Sendable, CaseIterable {
        case cloud
        case onPremises = "on-premises"
    }

    public var id: String
    /// The connector kind's name (`http`, `dataverse`, ...), one the registry knows.
    public var kind: String
    /// Nil when not declared (`check` reports it, SB110).
    public var location: Location?
    public var owner: String?
    public var description: String?
    /// Connection settings by environment name.
    public var connections: [String: Connection]
    /// Limits shared by every integration that writes to this system, with the kind's defaults
    /// for what the workspace left out. Nil fields mean unlimited.
    public var limits: SystemLimits
    public var declaredAt: SourceLocation
    /// What it costs, for `plan`. Nil: not declared.
    public var cost: CostModel?
}

/// How to reach a system in one environment: the settings its kind's reader made.
public struct Connection: Sendable {
    public var settings: any ConnectionSettings

    public init(settings: any ConnectionSettings) {
        self.settings = settings
    }

    /// Where the system is reached (a base URL), secrets resolved; nil when not given.
    public var address: String? { settings.address }
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
    /// Requests (for a batching kind: operations, each write in a batch counted) allowed per 24 hours by the
    /// system's entitlement. Nil: none. Used by `plan` and `check`, not enforced.
    public var requestsPerDay: Int?
    /// The time one record takes the system to write, for `plan`. Nil: not known.
    public var timePerRecord: Duration?
    /// Concurrency that adapts to the target's answers, starting here: halved on a `429`, grown by
    /// one per round of clean answers up to `maxConcurrent`, and set to the target's own hint
    /// (a recommended parallelism the connector reads) when one comes. Nil: fixed at `maxConcurrent`.
    public var adaptiveStart: Int?

    /// How much longer than `window` the hub counts: 1% of the window, and at least 100 ms. The
    /// hub's clock and the target's see each request at slightly different moments (a request
    /// waits for a connection, an event loop, the network), so a request granted just after the
    /// hub's window ended may arrive inside the target's.
    public var margin: Duration { max(window / 100, .milliseconds(100)) }

    public init(
        maxConcurrent: Int? = nil, maxRequests: Int? = nil, window: Duration = .seconds(1), maxExecution: Duration? = nil, adaptiveStart: Int? = nil
    ) {
        self.maxConcurrent = maxConcurrent
        self.maxRequests = maxRequests
        self.window = window
        self.maxExecution = maxExecution
        self.adaptiveStart = adaptiveStart
    }

    /// The limits of `users` identities together, for a service whose limits are per user
    /// (Dataverse's application users): each user added adds a full set of them.
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
