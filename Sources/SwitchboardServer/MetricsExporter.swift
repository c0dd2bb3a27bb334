import CoreMetrics
import Prometheus

/// Holds the hub's metrics and renders them in the Prometheus text format for `/metrics`.
///
/// Each hub owns one, so several hubs in one process (as in tests) do not share counters, and
/// nothing is bootstrapped globally.
public final class MetricsExporter: Sendable {
    private let registry = PrometheusCollectorRegistry()
    /// The factory the engine's `HubMetrics` creates its handles with.
    public let factory: any MetricsFactory

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Prometheus text exposition format 0.0.4.
    public func prometheusText() -> [UInt8] { registry.emitToBuffer() }
}
