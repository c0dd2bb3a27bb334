/// An alert rule: which integrations' trouble is sent where. `switchboard check` (SB130) asks that
/// every integration be covered by one.
public struct AlertRule: Sendable {
    public enum Condition: String, Sendable, CaseIterable {
        /// A message went to the dead letters.
        case deadLetters = "dead_letters"
        /// Attempts fail (retries scheduled).
        case errors
        /// Messages wait longer than the integration's delivery-latency objective.
        case backlog
        /// The integration's source fails: its change feed cannot be read, or its webhook
        /// requests fail authentication, several times in a row (and when it recovers).
        case sourceFailures = "source_failures"
        /// The integration's target gets no answer, times out or answers with server errors,
        /// several times in a row (and when it answers again).
        case targetDown = "target_down"
        /// The integration's target asks the hub to wait (a `429` with `Retry-After`).
        case throttling
    }

    public enum Channel: String, Sendable, CaseIterable { case teams, slack, webhook, email }

    public var id: String
    public var conditions: [Condition]
    /// Integration ids, or nil for every integration.
    public var integrations: [String]?
    public var channel: Channel
    /// Where notifications go, as written: a reference such as `${env:TEAMS_WEBHOOK}`, or an address.
    public var target: String?
    /// `target` resolved for the active environment; nil when it cannot be (the hub then says so at start).
    public var resolvedTarget: String?
    public var declaredAt: SourceLocation

    public func covers(_ integration: String) -> Bool { integrations?.contains(integration) ?? true }
}

/// `check:` in `switchboard.yaml`: severities per rule and suppressions, each with its reason.
public struct CheckSettings: Sendable {
    public enum Severity: String, Sendable, CaseIterable, Comparable {
        case off, note, warning, error

        private var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    /// A rule's severity changed for the whole workspace, with the reason the report shows.
    public struct Override: Sendable {
        public var severity: Severity
        public var reason: String
    }

    /// A rule switched off for one integration (or all when nil), with the reason the report shows.
    public struct Suppression: Sendable {
        public var rule: String
        public var integration: String?
        public var reason: String
    }

    public var overrides: [String: Override] = [:]
    public var suppressions: [Suppression] = []

    public init() {}
}

/// What a system costs to run, for `switchboard plan`. All amounts per month unless named
/// otherwise, in `currency`.
public struct CostModel: Sendable, Hashable {
    /// Per request sent to the system (after batching). Default 0.
    public var perRequest: Double = 0
    /// Per record written (Dataverse entitlements count each operation in a batch). Default 0.
    public var perRecord: Double = 0
    /// Per GB of data added in a month (records × payload bytes). Default 0.
    public var perGBStored: Double = 0
    /// Per node (server, instance) per month. Default 0.
    public var perNode: Double = 0
    /// Nodes. Default 1.
    public var nodes: Int = 1
    /// Fixed per month (licences, subscriptions). Default 0.
    public var fixed: Double = 0
    /// Default `EUR`.
    public var currency: String = "EUR"

    public init() {}
}

/// An architecture principle of the landscape: what `check` holds every integration's design
/// against. Exactly one of its rules is set.
public struct Principle: Sendable {
    public enum Rule: Sendable {
        /// Integrations use this pattern unless an allowed exception says otherwise.
        case defaultPattern(Integration.Pattern)
        /// When a synchronous call is allowed, in words; a synchronous integration must say why
        /// (`sync_justification`) to fall under it.
        case syncAllowedWhen(String)
        /// The ways the cloud/on-premises boundary may be crossed; an integration's
        /// `boundary_crossing` must name one.
        case boundaryVia([String])
        /// Integration styles preferred for each kind of system.
        case preferredStyles([String: [DesignDecision.Style]])
        /// Fields that are personal data never reach these systems.
        case noPersonalDataTo(systems: [String], fields: [String])
    }

    public var id: String
    public var title: String
    public var rule: Rule
    public var declaredAt: SourceLocation
}

/// An integration's design decision: its style, the options weighed, the one chosen and why, and
/// any exception to a principle.
public struct DesignDecision: Sendable {
    /// The ways to integrate with Dynamics 365 Microsoft's checklist names.
    public enum Style: String, Sendable, CaseIterable {
        /// Through the user interface: embedding, look and feel.
        case userInterface = "user-interface"
        /// Through data: synchronising records.
        case data
        /// Through processes: one system's process calling another's.
        case process
        /// Through Dataverse itself: virtual tables, native connectors, dual-write.
        case dataverse
    }

    public struct Option: Sendable {
        public var name: String
        public var style: Style?
        public var benefits: [String]
        public var drawbacks: [String]
    }

    public struct Exception: Sendable {
        public var principle: String
        public var reason: String?
        public var approver: String?
        public var declaredAt: SourceLocation
    }

    public var style: Style?
    public var options: [Option]
    public var chosen: String?
    public var reason: String?
    public var exceptions: [Exception]
    public var declaredAt: SourceLocation
}
