import Tracing

/// How the engine traces messages (OpenTelemetry, through swift-distributed-tracing's `Tracer`):
/// a span per webhook received, per step, and per delivery attempt, with the message id, the
/// integration and the system as attributes, all in the trace the sender started.
///
/// The W3C `traceparent` a sender gives is checked and kept with the message. With a tracer,
/// the receive span is the sender's span's child, the message keeps the receive span's context,
/// each attempt's span is its child, and the target gets the attempt's `traceparent`. Without
/// one (`off`, the default) nothing is recorded and the sender's `traceparent` goes to the
/// target as it came, so a trace still joins up across the hub.
public struct MessageTracing: Sendable {
    /// Nil: tracing is off.
    public let tracer: (any Tracer)?

    public init(tracer: (any Tracer)?) {
        self.tracer = tracer
    }

    /// Nothing traced.
    public static let off = MessageTracing(tracer: nil)

    /// A span, as a child of the context a `traceparent` stands for (none: a new trace).
    func start(_ name: String, kind: SpanKind, traceparent: String?) -> (any Span)? {
        guard let tracer else { return nil }
        var context = ServiceContext.topLevel
        if let traceparent { tracer.extract(["traceparent": traceparent], into: &context, using: DictionaryCarrier()) }
        return tracer.startSpan(name, context: context, ofKind: kind)
    }

    /// A span, as a child of another.
    func start(_ name: String, kind: SpanKind, parent: any Span) -> (any Span)? {
        tracer?.startSpan(name, context: parent.context, ofKind: kind)
    }

    /// The `traceparent` that makes the next hop a child of `span`.
    func traceparent(of span: any Span) -> String? {
        guard let tracer else { return nil }
        var carrier: [String: String] = [:]
        tracer.inject(span.context, into: &carrier, using: DictionaryCarrier())
        return carrier["traceparent"]
    }

    /// The trace id of a `traceparent` (its second field), for log lines; nil without one.
    public static func traceID(_ traceparent: String?) -> String? {
        validTraceparent(traceparent).map { String($0.split(separator: "-")[1]) }
    }

    /// A header value in the W3C form `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`,
    /// neither id all zeros; nil for anything else, so a malformed header is never passed on.
    /// https://www.w3.org/TR/trace-context/#traceparent-header
    public static func validTraceparent(_ value: String?) -> String? {
        guard let value else { return nil }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }),
            parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        return value
    }
}

extension Span {
    /// Sets the attributes every span of a message carries.
    func describe(message: String?, integration: String, system: String) {
        updateAttributes { attributes in
            if let message { attributes["switchboard.message.id"] = message }
            attributes["switchboard.integration"] = integration
            attributes["switchboard.system"] = system
        }
    }

    /// Marks the span failed with a sentence.
    func fail(_ reason: String) {
        setStatus(SpanStatus(code: .error, message: reason))
    }
}

/// `traceparent` in and out of a dictionary, for the stored form of a message's trace context.
struct DictionaryCarrier: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}
