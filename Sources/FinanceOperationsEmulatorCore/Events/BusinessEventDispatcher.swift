import EmulatorSecurity
import Foundation
import SwitchboardValues
import Synchronization

/// Sends the business events of committed writes to the HTTPS endpoints they are activated for,
/// as the service does: after the transaction commits and apart from the request that made it,
/// retried `retryCount` times `retryWait` apart when the endpoint fails, then kept in the error
/// log, from which an event can be resent. Every delivery is logged.
///
/// Documented defaults (https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/business-events/home-page):
/// retry count 3, wait between retries 1,000 ms, the HTTPS endpoint's timeout 10 s. A
/// non-2xx answer counts as a failure (unconfirmed). Events are numbered with an upwardly
/// increasing `ControlNumber` that has gaps, as documented; their order at the endpoint is not
/// guaranteed, nor is it in the service (parallel processing threads, retries and resends).
public final class BusinessEventDispatcher: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Attempts after the first. 3.
        public var retryCount = 3
        /// Between attempts. 1,000 ms.
        public var retryWaitMillis = 1_000
        /// Each attempt's timeout. 10,000 ms.
        public var timeoutMillis = 10_000

        public init() {}
    }

    /// An HTTPS endpoint an event is activated for (Business events catalog > Endpoints, then
    /// Activate per event and legal entity).
    public struct Endpoint: Sendable, Hashable {
        public var name: String
        public var url: String
        /// The events activated for it; empty: every event the schema declares.
        public var events: [String]
        /// The legal entity they are activated in; nil: all of them.
        public var legalEntity: String?
    }

    /// One event's delivery to one endpoint, as the log keeps it.
    public struct Delivery: Sendable {
        public var eventID: String
        public var businessEventID: String
        public var controlNumber: Int64
        public var endpoint: String
        public var attempts: Int
        /// The endpoint's last status; nil when it was not reached.
        public var status: Int?
        public var error: String?
        public var succeeded: Bool
        public var payload: JSONValue
    }

    struct State {
        var endpoints: [Endpoint] = []
        var sent: [Delivery] = []
        /// Deliveries that failed every attempt, by event id and endpoint, until resent successfully.
        var errors: [Delivery] = []
        var nextControlNumber: Int64 = 5_637_144_576
        var pending = 0
    }

    public let settings: Settings
    private let sender: (any WebhookSender)?
    private let state = Mutex(State())
    private let millis: @Sendable () -> Int64
    /// The object id of the user events are initiated by (the application's mapped user).
    let initiatingUser = UUID().uuidString

    public init(settings: Settings = Settings(), sender: (any WebhookSender)?, millis: @escaping @Sendable () -> Int64) {
        self.settings = settings
        self.sender = sender
        self.millis = millis
    }

    public var endpoints: [Endpoint] { state.withLock { $0.endpoints } }
    public var sent: [Delivery] { state.withLock { $0.sent } }
    public var errors: [Delivery] { state.withLock { $0.errors } }
    /// Deliveries started and not yet finished.
    public var pending: Int { state.withLock { $0.pending } }

    /// Registers an endpoint from `{"name", "url", "business_events": [...], "legal_entity"}`;
    /// the refusal in one sentence.
    public func register(_ body: [UInt8], known: Set<String>) -> Result<Endpoint, ServiceError> {
        guard sender != nil else { return .failure(.badRequest("This emulator was started without outbound HTTP, so it cannot send business events.")) }
        guard case .object(let fields)? = try? JSONValue(json: body) else {
            return .failure(.badRequest("The endpoint must be a JSON object: {\"name\": …, \"url\": …, \"business_events\": […], \"legal_entity\": …}."))
        }
        guard case .string(let name)? = fields["name"], !name.isEmpty else { return .failure(.badRequest("The endpoint needs a name.")) }
        guard case .string(let url)? = fields["url"], url.hasPrefix("https://") || url.hasPrefix("http://") else {
            return .failure(.badRequest("The endpoint \(name) needs a url starting with https:// (or http:// on this machine)."))
        }
        var events: [String] = []
        if let list = fields["business_events"] {
            guard case .array(let items) = list else { return .failure(.badRequest("business_events must be a list of business event ids.")) }
            for item in items {
                guard case .string(let id) = item, known.contains(id) else {
                    return .failure(.badRequest("The business event '\(item.text)' is not in the catalog (\(known.sorted().joined(separator: ", ")))."))
                }
                events.append(id)
            }
        }
        let company = fields["legal_entity"].flatMap { $0 == .null ? nil : $0.text.lowercased() }
        let endpoint = Endpoint(name: name, url: url, events: events, legalEntity: company)
        return state.withLock { state in
            guard !state.endpoints.contains(where: { $0.name == name }) else {
                return .failure(ServiceError(status: 409, message: "An endpoint named \(name) already exists."))
            }
            state.endpoints.append(endpoint)
            return .success(endpoint)
        }
    }

    /// Removes an endpoint; false when there is none of that name.
    public func unregister(_ name: String) -> Bool {
        state.withLock { state in
            let before = state.endpoints.count
            state.endpoints.removeAll { $0.name == name }
            return state.endpoints.count < before
        }
    }

    /// Forgets the endpoints and the logs.
    public func reset() {
        state.withLock { state in
            state.endpoints = []
            state.sent = []
            state.errors = []
        }
    }

    /// Numbers the events and sends each to the endpoints it is activated for, in the background.
    public func publish(_ events: [RaisedBusinessEvent]) {
        guard let sender else { return }
        let now = millis()
        let work: [(endpoint: Endpoint, delivery: Delivery)] = state.withLock { state in
            var work: [(Endpoint, Delivery)] = []
            for event in events {
                let targets = state.endpoints.filter { endpoint in
                    (endpoint.events.isEmpty || endpoint.events.contains(event.id))
                        && (endpoint.legalEntity == nil || endpoint.legalEntity == event.legalEntity.lowercased())
                }
                guard !targets.isEmpty else { continue }
                // Upwardly increasing with gaps, as documented.
                state.nextControlNumber += Int64.random(in: 1...3)
                let eventID = UUID().uuidString
                let payload = BusinessEventPayload.make(
                    event, controlNumber: state.nextControlNumber, eventID: eventID, initiatingUser: initiatingUser, millis: now)
                for endpoint in targets {
                    work.append(
                        (
                            endpoint,
                            Delivery(
                                eventID: eventID.uppercased(), businessEventID: event.id, controlNumber: state.nextControlNumber, endpoint: endpoint.name,
                                attempts: 0, status: nil, error: nil, succeeded: false, payload: payload)
                        ))
                }
            }
            state.pending += work.count
            return work
        }
        for (endpoint, delivery) in work {
            Task { await self.deliver(delivery, to: endpoint.url, sender: sender) }
        }
    }

    /// Sends an event of the error log again (or, for a duplicate, one already sent), with the
    /// usual retries. False when neither log has an event with this id.
    public func resend(eventID: String) -> Bool {
        guard let sender else { return false }
        let work: [(String, Delivery)] = state.withLock { state in
            let id = eventID.uppercased().trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
            var chosen = state.errors.filter { $0.eventID == id }
            if chosen.isEmpty { chosen = state.sent.filter { $0.eventID == id && $0.succeeded } }
            let pairs = chosen.compactMap { delivery -> (String, Delivery)? in
                guard let endpoint = state.endpoints.first(where: { $0.name == delivery.endpoint }) else { return nil }
                var fresh = delivery
                fresh.attempts = 0
                fresh.succeeded = false
                return (endpoint.url, fresh)
            }
            state.pending += pairs.count
            return pairs
        }
        for (url, delivery) in work { Task { await self.deliver(delivery, to: url, sender: sender) } }
        return !work.isEmpty
    }

    private func deliver(_ delivery: Delivery, to url: String, sender: any WebhookSender) async {
        var delivery = delivery
        let body = delivery.payload.serialized()
        let headers = [("Content-Type", "application/json")]
        for attempt in 0...settings.retryCount {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(settings.retryWaitMillis)) }
            let (status, error) = await sender.post(url: url, headers: headers, body: body, timeout: .milliseconds(settings.timeoutMillis))
            delivery.attempts += 1
            delivery.status = status
            delivery.error = error ?? status.flatMap { (200..<300).contains($0) ? nil : "the endpoint answered \($0)" }
            if let status, (200..<300).contains(status) {
                delivery.succeeded = true
                break
            }
        }
        let finished = delivery
        state.withLock { state in
            state.pending -= 1
            state.sent.append(finished)
            state.errors.removeAll { $0.eventID == finished.eventID && $0.endpoint == finished.endpoint }
            if !finished.succeeded { state.errors.append(finished) }
        }
    }

    /// A delivery as the admin API lists it.
    public static func json(_ delivery: Delivery) -> JSONValue {
        .object([
            "EventId": .string(delivery.eventID), "BusinessEventId": .string(delivery.businessEventID),
            "ControlNumber": .int(delivery.controlNumber), "endpoint": .string(delivery.endpoint), "attempts": .int(Int64(delivery.attempts)),
            "status": delivery.status.map { .int(Int64($0)) } ?? .null, "error": delivery.error.map(JSONValue.string) ?? .null,
            "succeeded": .bool(delivery.succeeded), "payload": delivery.payload,
        ])
    }
}
