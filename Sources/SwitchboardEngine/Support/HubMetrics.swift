import Metrics
import Synchronization

/// The hub's metrics, with handles cached per integration and system so the hot path only increments.
///
/// Names follow Prometheus conventions as scraped (counters end in `_total`, durations in
/// `_seconds`), because the exporter writes labels as given. docs/operations.md lists them.
public final class HubMetrics: Sendable {
    private struct Handles {
        let received: Counter
        let duplicates: Counter
        let delivered: Counter
        let retried: Counter
        let dead: Counter
        let filtered: Counter
        let latency: Timer
    }

    private let factory: any MetricsFactory
    private let handles = Mutex<[String: Handles]>([:])
    private let other = Mutex<[String: Counter]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])

    /// - Parameter factory: Where metrics go; the hub passes its Prometheus registry's factory.
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    private func handles(_ integration: String) -> Handles {
        handles.withLock { cache in
            if let cached = cache[integration] { return cached }
            let dimensions = [("integration", integration)]
            let made = Handles(
                received: Counter(label: "switchboard_messages_received_total", dimensions: dimensions, factory: factory),
                duplicates: Counter(label: "switchboard_messages_duplicates_total", dimensions: dimensions, factory: factory),
                delivered: Counter(label: "switchboard_messages_delivered_total", dimensions: dimensions, factory: factory),
                retried: Counter(label: "switchboard_messages_retried_total", dimensions: dimensions, factory: factory),
                dead: Counter(label: "switchboard_messages_dead_total", dimensions: dimensions, factory: factory),
                filtered: Counter(label: "switchboard_messages_filtered_total", dimensions: dimensions, factory: factory),
                latency: Timer(
                    label: "switchboard_delivery_latency_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory))
            cache[integration] = made
            return made
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        Self.cached(other, label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The metric for `label` and `dimensions` from `cache`, made once.
    private static func cached<Metric: Sendable>(
        _ cache: borrowing Mutex<[String: Metric]>, _ label: String, _ dimensions: [(String, String)], make: () -> Metric
    ) -> Metric {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return cache.withLock { cache in
            if let cached = cache[key] { return cached }
            let made = make()
            cache[key] = made
            return made
        }
    }

    public func received(_ integration: String) { handles(integration).received.increment() }
    public func duplicate(_ integration: String) { handles(integration).duplicates.increment() }
    public func filtered(_ integration: String) { handles(integration).filtered.increment() }
    public func retried(_ integration: String) { handles(integration).retried.increment() }
    public func dead(_ integration: String) { handles(integration).dead.increment() }

    /// A delivery, with the time from acceptance to delivery.
    public func delivered(_ integration: String, acceptToDeliveryMillis: Int64) {
        let handles = handles(integration)
        handles.delivered.increment()
        handles.latency.recordMilliseconds(acceptToDeliveryMillis)
    }

    public func rejected(_ integration: String, reason: String) {
        counter("switchboard_messages_rejected_total", [("integration", integration), ("reason", reason)]).increment()
    }

    /// A target answered 429 or 503 with `Retry-After`.
    public func throttled(system: String) {
        counter("switchboard_target_throttled_total", [("system", system)]).increment()
    }

    /// Messages waiting (ready, leased or retry-wait) per integration, refreshed by the hub.
    public func setQueueDepth(_ integration: String, _ value: Int) {
        gauge("switchboard_queue_depth", [("integration", integration)]).record(value)
    }

    /// Messages in `state` per integration as the store holds them, refreshed by the hub: read
    /// from the store, so `switchboard_messages{state="dead"} > 0` holds across restarts, where
    /// the counters start again at zero.
    public func setStoredMessages(_ integration: String, state: String, _ value: Int) {
        gauge("switchboard_messages", [("integration", integration), ("state", state)]).record(value)
    }

    /// Each integration's health (0 ok, 1 warning, 2 failing), refreshed by the hub.
    public func setHealth(_ integration: String, _ health: IntegrationHealth) {
        gauge("switchboard_integration_health", [("integration", integration)])
            .record(IntegrationHealth.Level.allCases.firstIndex(of: health.level) ?? 0)
    }

    /// Whether an integration's source (1) and a system as a target (1) are up, or failing (0).
    public func setSourceUp(_ integration: String, _ up: Bool) {
        gauge("switchboard_source_up", [("integration", integration)]).record(up ? 1 : 0)
    }

    public func setTargetUp(_ system: String, _ up: Bool) {
        gauge("switchboard_target_up", [("system", system)]).record(up ? 1 : 0)
    }

    /// A target system's connections: requests under way (each holds a pooled connection), the
    /// concurrency allowed now (adaptive or declared; nil: no cap), and the pool's size.
    public func setConnections(_ system: String, inUse: Int, allowed: Int?, poolSize: Int) {
        gauge("switchboard_target_requests_in_flight", [("system", system)]).record(inUse)
        if let allowed { gauge("switchboard_target_concurrency_allowed", [("system", system)]).record(allowed) }
        gauge("switchboard_target_connection_pool_size", [("system", system)]).record(poolSize)
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        Self.cached(gauges, label, dimensions) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }
}
