import SwitchboardModel

/// Dataverse's documented limits.
public enum DataverseLimits {
    /// The service protection limits per application user, scaled to a sliding window of
    /// `window` (the documented one is 300 s): 6,000 requests and 1,200 s of combined execution
    /// time per 300 s, 52 concurrent requests, and the daily pool of 500,000 requests of a
    /// Dynamics 365 Enterprise or Professional tenant's non-licensed identities.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/api-limits and
    /// https://learn.microsoft.com/power-platform/admin/api-request-limits-allocations
    public static func documented(window: Duration = .seconds(300)) -> SystemLimits {
        let share = Double(window.milliseconds) / 300_000
        var limits = SystemLimits(
            maxConcurrent: 52, maxRequests: max(1, Int((6_000 * share).rounded())), window: window,
            maxExecution: .milliseconds(Int64((1_200_000 * share).rounded())))
        limits.requestsPerDay = 500_000
        return limits
    }

    /// The most requests one `$batch` may hold.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
    public static let batchRequests = 1_000
}
