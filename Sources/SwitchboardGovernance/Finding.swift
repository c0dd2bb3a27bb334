import SwitchboardModel

/// One thing `check` found: which rule, how severe, where, and what to do.
public struct Finding: Sendable {
    public var rule: Rule
    /// After the workspace's overrides.
    public var severity: Rule.Severity
    /// One sentence.
    public var message: String
    public var location: SourceLocation
    /// The integration it is about, if one.
    public var integration: String?
    /// The system it is about, if one (its limits, its owner).
    public var system: String? = nil
    /// The reason it is suppressed (by `check.suppress` or a rule set to `off`); nil when it counts.
    public var suppressed: String?

    public var counts: Bool { suppressed == nil && severity != .off }
}

/// Everything `check` found, in file order.
public struct CheckReport: Sendable {
    public var findings: [Finding]

    public func count(_ severity: Rule.Severity) -> Int { findings.filter { $0.counts && $0.severity == severity }.count }
    public var suppressedCount: Int { findings.filter { !$0.counts }.count }
    /// True when an error counts: `check` exits 1.
    public var failed: Bool { count(.error) > 0 }
}
