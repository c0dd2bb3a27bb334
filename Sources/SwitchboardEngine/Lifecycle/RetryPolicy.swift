import SwitchboardModel

extension Backoff {
    /// The wait before the next attempt after `attempt` failures (1-based), in milliseconds.
    ///
    /// Exponential with a ceiling: `min(max, initial * multiplier^(attempt-1))`; with full jitter a
    /// uniformly random wait in `[0, that]` (the AWS "full jitter" scheme, which spreads retries of
    /// many clients the most). `unit` is a random number in [0, 1), injected for tests.
    public func delayMillis(afterAttempt attempt: Int, unit: Double) -> Int64 {
        let initialMs = Double(initial.milliseconds)
        let maximumMs = Double(maximum.milliseconds)
        let exponent = Double(max(0, attempt - 1))
        let ceiling = min(maximumMs, initialMs * pow(multiplier, exponent))
        switch jitter {
        case .none: return Int64(ceiling)
        case .full: return Int64(ceiling * min(max(unit, 0), 1))
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
