import Foundation

/// The time source of everything that waits: retry backoff, budgets, leases, idle polling.
///
/// Wall-clock milliseconds rather than Swift's `Clock`: the store keeps epoch times that must mean
/// the same after a restart, and a `ContinuousClock` instant does not survive one. Tests inject a
/// manual clock and advance it instead of sleeping.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970.
    func now() -> Int64
    /// Returns at `deadline` (epoch ms) or later; throws `CancellationError` when cancelled.
    func sleep(until deadline: Int64) async throws
}

/// The real clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public func sleep(until deadline: Int64) async throws {
        let wait = deadline - now()
        if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
    }
}
