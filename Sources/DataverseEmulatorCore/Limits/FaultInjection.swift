/// Faults the emulator injects for resilience tests, each a share of Web API requests (0 to 1),
/// decided before the request runs, so an injected failure changes nothing.
public struct FaultInjection: Sendable, Hashable {
    /// Share answered `500` or `503` (half each) with Dataverse's error shape. Default 0.
    public var failureRate: Double = 0
    /// Share delayed by `spikeMillis` before they run. Default 0.
    public var spikeRate: Double = 0
    /// Length of a latency spike. Default 2,000 ms.
    public var spikeMillis: Double = 2_000
    /// Share whose connection is closed without an answer. Default 0.
    public var dropRate: Double = 0

    public init(failureRate: Double = 0, spikeRate: Double = 0, spikeMillis: Double = 2_000, dropRate: Double = 0) {
        self.failureRate = failureRate
        self.spikeRate = spikeRate
        self.spikeMillis = spikeMillis
        self.dropRate = dropRate
    }

    public var isActive: Bool { failureRate > 0 || spikeRate > 0 || dropRate > 0 }

    /// What happens to one request.
    package enum Fault: Equatable {
        case none, fail(status: Int), spike(millis: Double), drop
    }

    package func draw(_ random: () -> Double = { Double.random(in: 0..<1) }) -> Fault {
        guard isActive else { return .none }
        let roll = random()
        if roll < dropRate { return .drop }
        if roll < dropRate + failureRate { return .fail(status: random() < 0.5 ? 500 : 503) }
        if roll < dropRate + failureRate + spikeRate { return .spike(millis: spikeMillis) }
        return .none
    }

    /// The answer to an injected failure: `0x80040216` ("An unexpected error occurred.") for 500,
    /// and a service-unavailable message for 503.
    package static func error(status: Int) -> DataverseError {
        status == 500
            ? DataverseError(status: 500, code: "0x80040216", message: "An unexpected error occurred.")
            : DataverseError(status: 503, code: "0x8005f103", message: "The service is temporarily unavailable; retry the request later.")
    }
}
