import Logging
import OTel
import ServiceLifecycle
import SwitchboardEngine
import SwitchboardModel
import Tracing

/// The hub's OpenTelemetry traces, made from the workspace's `tracing` settings: a tracer of its
/// own (nothing is bootstrapped process-wide, so several hubs can run in one process) and the
/// service that batches finished spans and exports them over OTLP/HTTP in protobuf.
///
/// Guarantees: without `tracing.endpoint` nothing is recorded and no exporter runs; an export
/// that fails is logged and dropped, never retried into the delivery path; a graceful stop
/// exports what is pending (the service stops after the listener and the delivery loop).
struct Telemetry: Sendable {
    let tracing: MessageTracing
    /// Runs the exporter; nil when tracing is off.
    let service: (any Service)?

    static let off = Telemetry(tracing: .off, service: nil)

    static func make(_ settings: TracingSettings, logger: Logger) -> Telemetry {
        guard let endpoint = settings.resolvedEndpoint else { return .off }
        var configuration = OTel.Configuration.default
        configuration.serviceName = settings.serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.traces.sampler =
            settings.sampleRatio >= 1 ? .parentBasedAlwaysOn : (.parentBasedTraceIDRatio(ratio: settings.sampleRatio) ?? .parentBasedAlwaysOn)
        configuration.traces.batchSpanProcessor.scheduleDelay = settings.exportInterval
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(10)
        // An endpoint set here is posted to as it is: the signal's path is added unless given.
        let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        configuration.traces.otlpExporter.endpoint = trimmed.hasSuffix("/v1/traces") ? trimmed : trimmed + "/v1/traces"
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.traces.otlpExporter.timeout = .seconds(5)
        configuration.traces.otlpExporter.headers = settings.headers
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            return Telemetry(tracing: MessageTracing(tracer: backend.factory), service: backend.service)
        } catch {
            // The SDK's own switch (`OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`) wins.
            logger.warning("tracing is off", metadata: ["sb.reason": "\(error)"])
            return .off
        }
    }
}
