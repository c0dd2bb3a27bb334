/// A system's connection in one environment, as its kind's reader made it.
public protocol ConnectionSettings: Sendable {
    /// Where the system is reached (a base URL, a file path), secrets resolved; nil when not given.
    var address: String? { get }
}

/// What an integration's target does with each message, as its kind's reader made it. The
/// connector of the kind reads it back as its own type.
public protocol TargetSettings: Sendable {
    /// What it writes, in one line of Markdown (code in backticks), for the catalog.
    var summary: String { get }
    /// What it touches, for `impact`.
    var footprint: DataFootprint { get }
    /// Why a delivery repeated by a retry may act twice at the target, with the field path the
    /// finding points at; nil when a repeat is harmless (SB150).
    var idempotencyProblem: (message: String, path: [String])? { get }
    /// The identity it writes as, for a system signed in to as several (a Dataverse
    /// application user's client id); nil: spread over all of them.
    var identity: String? { get }
}

extension TargetSettings {
    public var identity: String? { nil }
}

/// A source the hub polls, as its kind's reader made it.
public protocol SourceSettings: Sendable {
    /// What it reads, in one line of Markdown, for the catalog.
    var summary: String { get }
    /// What it touches, for `impact`.
    var footprint: DataFootprint { get }
    /// Time between polls once caught up.
    var interval: Duration { get }
    /// Why the integration replicates more than it needs (SB180), with the field path; nil when fine.
    /// `mapped`: the integration has a map step.
    func replicationProblem(mapped: Bool) -> (message: String, path: [String])?
}

/// The tables, resources and columns a source reads or a target writes, for `impact`.
public struct DataFootprint: Sendable, Hashable {
    /// The table, as the workspace names it (a Dataverse entity set); nil when not known.
    public var table: String?
    /// Path segments of a resource (an HTTP path's fixed parts), matched against a table name.
    public var segments: [String]
    /// Columns named explicitly (a select list).
    public var columns: [String]
    /// True when it may touch any table of the system (a webhook whose table is chosen elsewhere).
    public var anyTable: Bool
    /// What it does in words: `target.dataverse upsert into salesorders`.
    public var description: String

    public init(table: String? = nil, segments: [String] = [], columns: [String] = [], anyTable: Bool = false, description: String) {
        self.table = table
        self.segments = segments
        self.columns = columns
        self.anyTable = anyTable
        self.description = description
    }
}
