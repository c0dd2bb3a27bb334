import Foundation
import SwitchboardValues
import Synchronization

/// Posts committed changes to the registered webhooks, after the change and apart from the request
/// that made it (asynchronous steps), and keeps a log of every delivery.
///
/// Retries as Dataverse does: "The webhook service will make one more attempt only when" the
/// receiver answers 502, 503 or 504; the timeout is 60 seconds
/// (https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks).
public final class WebhookDispatcher: Sendable {
    public struct Delivery: Sendable {
        public var registrationID: String
        public var message: String
        public var table: String
        public var recordID: String
        public var url: String
        public var attempts: Int
        /// The receiver's last status; nil when it was not reached.
        public var status: Int?
        public var error: String?
        public var succeeded: Bool
        public var body: JSONValue
    }

    private let sender: (any WebhookSender)?
    private let schema: EmulatorSchema
    private let state = Mutex(State())
    /// Default 60 s, as Dataverse waits.
    let timeout: Duration

    struct State {
        var registrations: [WebhookRegistration] = []
        var deliveries: [Delivery] = []
        var pending = 0
    }

    public init(sender: (any WebhookSender)?, schema: EmulatorSchema, timeout: Duration = .seconds(60)) {
        self.sender = sender
        self.schema = schema
        self.timeout = timeout
    }

    public var registrations: [WebhookRegistration] { state.withLock { $0.registrations } }
    public var deliveries: [Delivery] { state.withLock { $0.deliveries } }
    /// Deliveries started and not yet finished.
    public var pending: Int { state.withLock { $0.pending } }

    package func register(_ registration: WebhookRegistration) throws(DataverseError) {
        guard sender != nil else { throw DataverseError.badRequest("This emulator was started without outbound HTTP, so it cannot call webhooks.") }
        state.withLock { $0.registrations.append(registration) }
    }

    /// Removes a registration; false when there was none with this id.
    package func unregister(_ id: String) -> Bool {
        state.withLock { state in
            let before = state.registrations.count
            state.registrations.removeAll { $0.id == id }
            return state.registrations.count < before
        }
    }

    /// Forgets the delivery log; registrations stay.
    package func clearDeliveries() {
        state.withLock { $0.deliveries.removeAll() }
    }

    /// Starts a delivery of each event to each registration that asked for it.
    package func publish(_ events: [ChangeEvent], userID: String) {
        guard let sender, !events.isEmpty else { return }
        let registrations = state.withLock { $0.registrations }
        let correlationID = UUID().uuidString.lowercased()
        for event in events {
            guard let table = schema.table(logicalName: event.table) else { continue }
            for registration in registrations where registration.table == event.table && registration.messages.contains(event.message) {
                let body = RemoteExecutionContext.body(
                    for: event, table: table, userID: userID, correlationID: correlationID,
                    operationID: UUID().uuidString.lowercased(), now: Date())
                var headers = [
                    ("Content-Type", "application/json"), ("x-ms-dynamics-organization", "switchboard-emulator"),
                    ("x-ms-dynamics-entity-name", event.table), ("x-ms-dynamics-request-name", event.message.rawValue),
                    ("x-ms-correlation-request-id", correlationID),
                ]
                if case .httpHeader(let extra) = registration.authentication {
                    headers += extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                }
                state.withLock { $0.pending += 1 }
                let timeout = self.timeout
                Task {
                    var attempts = 0
                    var outcome: (status: Int?, error: String?) = (nil, nil)
                    repeat {
                        attempts += 1
                        outcome = await sender.post(url: registration.deliveryURL, headers: headers, body: body.serialized(), timeout: timeout)
                    } while attempts < 2 && [502, 503, 504].contains(outcome.status ?? 0)
                    let delivery = Delivery(
                        registrationID: registration.id, message: event.message.rawValue, table: event.table, recordID: event.record.id,
                        url: registration.url, attempts: attempts, status: outcome.status, error: outcome.error,
                        succeeded: (200..<300).contains(outcome.status ?? 0), body: body)
                    self.state.withLock { state in
                        state.deliveries.append(delivery)
                        if state.deliveries.count > 10_000 { state.deliveries.removeFirst(state.deliveries.count - 10_000) }
                        state.pending -= 1
                    }
                }
            }
        }
    }
}
