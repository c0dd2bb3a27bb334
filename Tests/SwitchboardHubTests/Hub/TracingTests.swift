import Foundation
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import SwitchboardValues
import Testing

/// OpenTelemetry traces (issue 14): a span per receive, per step and per attempt, exported over
/// OTLP/HTTP to a collector, in the trace the sender started, and passed on to the target.
@Suite("Traces of every message over OTLP", .serialized)
struct TracingTests {
    static let senderTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let senderSpan = "00f067aa0ba902b7"

    @Test(
        "the sender's traceparent starts the trace; receive, step and attempt spans reach the collector with the message's attributes; the target gets the attempt's traceparent"
    )
    func spansReachTheCollector() async throws {
        let collector = Sink()
        collector.setBehaviour { _, _ in .init(status: 200, headers: ["Content-Type": "application/x-protobuf"], body: "") }
        let collectorTask = Task { try await collector.application(port: 0).runService() }
        let collectorPort = try await collector.port()
        let harness = try await HubHarness(
            integrations: [HubHarness.integration("orders", delivery: "max_attempts: 3", steps: "[{ map: { id: $.id, total: $.total } }]")],
            extra: #"tracing: { endpoint: "http://127.0.0.1:\#(collectorPort)", export_interval: 50ms, service_name: switchboard-test }"#)
        harness.sink.setBehaviour { _, index in index == 0 ? .init(status: 503, body: "busy") : .init(status: 200) }
        let answer = try await harness.post(
            "/hooks/orders", #"{"id": 42, "total": 9.5}"#,
            headers: [("X-Key", "shop-secret"), ("traceparent", "00-\(Self.senderTrace)-\(Self.senderSpan)-01")])
        let id = try #require(HubHarness.id(answer.body))
        #expect(try await harness.waitForState(id, .delivered))

        // Three spans per attempt's path: receive, then per attempt a deliver span and its step.
        let complete = await eventually { Self.spans(collector).filter { $0.name == "deliver orders" }.count == 2 }
        #expect(complete)
        let spans = Self.spans(collector)
        #expect(spans.allSatisfy { $0.traceID == Self.senderTrace }, "\(spans)")
        let receive = try #require(spans.first { $0.name == "receive orders" })
        #expect(receive.parentID == Self.senderSpan)
        #expect(receive.strings["switchboard.message.id"] == id)
        #expect(receive.strings["switchboard.integration"] == "orders")
        #expect(receive.strings["switchboard.system"] == "shop")
        let attempts = spans.filter { $0.name == "deliver orders" }.sorted {
            ($0.ints["switchboard.attempt"] ?? 0) < ($1.ints["switchboard.attempt"] ?? 0)
        }
        #expect(attempts.map { $0.ints["switchboard.attempt"] } == [1, 2])
        #expect(attempts.allSatisfy { $0.parentID == receive.spanID && $0.strings["switchboard.system"] == "erp" })
        #expect(attempts.map { $0.ints["http.response.status_code"] } == [503, 200])
        #expect(attempts[0].statusCode == 2, "a failed attempt's span has the error status")
        #expect(attempts[1].statusCode != 2)
        let steps = spans.filter { $0.name == "step 1 map" }
        #expect(steps.count == 2)
        #expect(Set(steps.map(\.parentID)) == Set(attempts.map(\.spanID)))
        // The target received each attempt's own traceparent, in the sender's trace.
        let sent = harness.sink.received.compactMap { $0.headers.first { $0.0.lowercased() == "traceparent" }?.1 }
        #expect(sent == attempts.map { "00-\(Self.senderTrace)-\($0.spanID)-01" }, "\(sent)")
        #expect(collector.received.allSatisfy { $0.path == "/v1/traces" })
        try await harness.stop()
        collectorTask.cancel()
    }

    @Test("without tracing the sender's traceparent reaches the target as it came; a malformed one is not passed on")
    func passThrough() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        let traceparent = "00-\(Self.senderTrace)-\(Self.senderSpan)-01"
        let first = try #require(
            HubHarness.id(
                try await harness.post("/hooks/orders", #"{"id": 1}"#, headers: [("X-Key", "shop-secret"), ("traceparent", traceparent)]).body))
        let second = try #require(
            HubHarness.id(
                try await harness.post("/hooks/orders", #"{"id": 2}"#, headers: [("X-Key", "shop-secret"), ("traceparent", "00-zz-1-01")]).body))
        #expect(try await harness.waitForState(first, .delivered))
        #expect(try await harness.waitForState(second, .delivered))
        let byPath = Dictionary(harness.sink.received.map { ($0.path, $0.headers.first { $0.0.lowercased() == "traceparent" }?.1) }) { a, _ in a }
        #expect(byPath["/orders/1"] == .some(traceparent))
        #expect(byPath["/orders/2"] == .some(nil))
        try await harness.stop()
    }

    /// Every span the collector received, decoded from the OTLP protobuf requests.
    static func spans(_ collector: Sink) -> [OTLPSpan] {
        collector.received.flatMap { OTLPSpan.decode(request: $0.body) }
    }
}

/// A span as an OTLP `ExportTraceServiceRequest` carries it, read with the field numbers of
/// opentelemetry-proto's trace.proto: enough of protobuf's wire format to check what the hub sent.
struct OTLPSpan: CustomStringConvertible {
    var traceID = ""
    var spanID = ""
    var parentID = ""
    var name = ""
    var strings: [String: String] = [:]
    var ints: [String: Int64] = [:]
    var statusCode: Int64 = 0

    var description: String { "\(name) \(traceID)/\(spanID) parent \(parentID) \(strings) \(ints) status \(statusCode)" }

    static func decode(request: [UInt8]) -> [OTLPSpan] {
        fields(request).filter { $0.number == 1 }.flatMap { resourceSpans in
            fields(resourceSpans.bytes).filter { $0.number == 2 }.flatMap { scopeSpans in
                fields(scopeSpans.bytes).filter { $0.number == 2 }.map { span($0.bytes) }
            }
        }
    }

    static func span(_ bytes: [UInt8]) -> OTLPSpan {
        var span = OTLPSpan()
        for field in fields(bytes) {
            switch field.number {
            case 1: span.traceID = field.bytes.hexDigits
            case 2: span.spanID = field.bytes.hexDigits
            case 4: span.parentID = field.bytes.hexDigits
            case 5: span.name = String(decoding: field.bytes, as: UTF8.self)
            case 9:
                let keyValue = fields(field.bytes)
                let key = String(decoding: keyValue.first { $0.number == 1 }?.bytes ?? [], as: UTF8.self)
                for value in fields(keyValue.first { $0.number == 2 }?.bytes ?? []) {
                    if value.number == 1 { span.strings[key] = String(decoding: value.bytes, as: UTF8.self) }
                    if value.number == 3 { span.ints[key] = Int64(bitPattern: value.varint) }
                }
            case 15: span.statusCode = Int64(fields(field.bytes).first { $0.number == 3 }?.varint ?? 0)
            default: break
            }
        }
        return span
    }

    struct Field {
        var number: Int
        var varint: UInt64 = 0
        var bytes: [UInt8] = []
    }

    /// The fields of one message: varints, fixed 64 and 32 bits, and length-delimited bytes.
    static func fields(_ bytes: [UInt8]) -> [Field] {
        var fields: [Field] = []
        var index = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.count, let key = varint() {
            var field = Field(number: Int(key >> 3))
            switch key & 7 {
            case 0: field.varint = varint() ?? 0
            case 1: index += 8
            case 5: index += 4
            case 2:
                let length = Int(varint() ?? 0)
                guard index + length <= bytes.count else { return fields }
                field.bytes = Array(bytes[index..<index + length])
                index += length
            default: return fields
            }
            fields.append(field)
        }
        return fields
    }
}
