import Foundation

/// Simulated server execution time per operation, so that the execution-time limit can bind as
/// it does for bulk writes. A request's time is the sum over its operations (a bulk message of
/// 100 records costs 100 draws).
public struct LatencyModel: Sendable, Hashable {
    /// Fastest draw, milliseconds.
    public var minMillis: Double
    /// Slowest draw, milliseconds; equal to `minMillis` for a fixed time.
    public var maxMillis: Double

    /// No simulated time (the default): answers as fast as the emulator can.
    public static let none = LatencyModel(minMillis: 0, maxMillis: 0)

    public init(minMillis: Double, maxMillis: Double) {
        self.minMillis = min(minMillis, maxMillis)
        self.maxMillis = max(minMillis, maxMillis)
    }

    /// `5ms`, `2ms..20ms` (uniform), or `0`.
    /// The longest simulated time per operation `init(parsing:)` accepts: an hour. Longer,
    /// infinite or not-a-number times are refused rather than overflowing the sleep that follows.
    public static let longestMillis: Double = 3_600_000

    public init?(parsing text: String) {
        func millis(_ part: Substring) -> Double? {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.hasSuffix("ms") { return Double(trimmed.dropLast(2)) }
            if trimmed.hasSuffix("s") { return Double(trimmed.dropLast()).map { $0 * 1000 } }
            return Double(trimmed)
        }
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2, let low = millis(Substring(parts[0])), let high = parts.count == 2 ? millis(Substring(parts[1])) : low,
            (0...Self.longestMillis).contains(low), (0...Self.longestMillis).contains(high)
        else { return nil }
        self.init(minMillis: low, maxMillis: high)
    }

    /// Milliseconds for `operations` operations.
    public func draw(operations: Int = 1) -> Double {
        guard maxMillis > 0 else { return 0 }
        var total = 0.0
        for _ in 0..<max(1, operations) { total += minMillis == maxMillis ? minMillis : Double.random(in: minMillis...maxMillis) }
        return total
    }
}
