import SwitchboardEngine
import SwitchboardModel

/// Reads the payload Finance & Operations posts to an HTTPS business event endpoint into the
/// message's document: the same flat object, its `/Date(ms)/` values (`EventTime`, the event's
/// dates) as ISO 8601 times. The payload must be an object with the base contract's
/// `BusinessEventId` (text), `EventId` (text) and `ControlNumber` (a whole number); anything
/// else is refused in one sentence, and nothing is stored.
///
/// `EventId` is the default idempotency key: an event the service sends again (a retry, a resend
/// from its error log) is enqueued once. `ControlNumber` is kept for consumers that drop events
/// older than the last one seen for a record, as Microsoft suggests.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/business-events/home-page
public enum FinanceOperationsBusinessEvent {
    public static func flatten(_ payload: JSONValue) throws(IngestError) -> JSONValue {
        guard case .object(let fields) = payload else {
            throw IngestError.invalidPayload("the body is not a Finance & Operations business event: it is not a JSON object")
        }
        for name in ["BusinessEventId", "EventId"] {
            guard case .string(let text)? = fields[name], !text.isEmpty else {
                throw IngestError.invalidPayload("the body is not a Finance & Operations business event: \(name) is missing or not text")
            }
        }
        switch fields["ControlNumber"] {
        case .int?, .largeInteger?: break
        default: throw IngestError.invalidPayload("the body is not a Finance & Operations business event: ControlNumber is missing or not a whole number")
        }
        var flat: [String: JSONValue] = [:]
        for (name, value) in fields {
            if case .string(let text) = value, let time = MicrosoftJSONDate.iso8601(text) {
                flat[name] = .string(time)
            } else {
                flat[name] = value
            }
        }
        return .object(flat)
    }
}
