import Foundation
import SwitchboardValues

/// A webhook registered for a table and messages, with one of Dataverse's authentication options.
/// https://learn.microsoft.com/power-apps/developer/data-platform/register-web-hook
public struct WebhookRegistration: Sendable, Hashable {
    public enum Authentication: Sendable, Hashable {
        /// `HttpHeader` (authtype 5): headers sent with every POST.
        case httpHeader([String: String])
        /// `WebhookKey` (authtype 4): `?code=<key>` on the URL, as Azure Functions expect.
        case webhookKey(String)
        /// `HttpQueryString` (authtype 6): `?k1=v1&k2=v2` on the URL.
        case httpQueryString([String: String])
    }

    public var id: String
    public var url: String
    /// Table logical name.
    public var table: String
    public var messages: Set<ChangeEvent.Message>
    public var authentication: Authentication

    /// Reads `{"url": ..., "table": "account", "messages": ["Create", "Update"], "authentication": {"type": "WebhookKey", "value": "..."}}`.
    package static func parse(_ json: JSONValue, schema: EmulatorSchema) throws(DataverseError) -> WebhookRegistration {
        guard case .string(let url)? = json["url"], let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https" else {
            throw DataverseError.badRequest("The webhook needs a url starting with http:// or https://.")
        }
        guard case .string(let table)? = json["table"], schema.table(logicalName: table) != nil else {
            throw DataverseError.badRequest(
                "The webhook needs the logical name of a served table in 'table' (\(schema.tables.map(\.logicalName).joined(separator: ", "))).")
        }
        var messages: Set<ChangeEvent.Message> = []
        if case .array(let names)? = json["messages"] {
            for name in names {
                guard let message = ChangeEvent.Message(rawValue: name.text) else {
                    throw DataverseError.badRequest("The webhook message '\(name.text)' is not one of Create, Update, Delete.")
                }
                messages.insert(message)
            }
        }
        guard !messages.isEmpty else { throw DataverseError.badRequest("The webhook needs 'messages': a list of Create, Update, Delete.") }
        let authentication: Authentication
        let auth = json["authentication"] ?? .null
        switch auth["type"]?.text {
        case "HttpHeader":
            guard case .object(let headers)? = auth["headers"], !headers.isEmpty else {
                throw DataverseError.badRequest("HttpHeader authentication needs 'headers': {name: value}.")
            }
            authentication = .httpHeader(headers.mapValues(\.text))
        case "WebhookKey":
            guard case .string(let key)? = auth["value"], !key.isEmpty else {
                throw DataverseError.badRequest("WebhookKey authentication needs 'value': the key.")
            }
            authentication = .webhookKey(key)
        case "HttpQueryString":
            guard case .object(let parameters)? = auth["parameters"], !parameters.isEmpty else {
                throw DataverseError.badRequest("HttpQueryString authentication needs 'parameters': {name: value}.")
            }
            authentication = .httpQueryString(parameters.mapValues(\.text))
        default:
            throw DataverseError.badRequest("The webhook needs 'authentication' with a type of HttpHeader, WebhookKey or HttpQueryString.")
        }
        return WebhookRegistration(id: UUID().uuidString.lowercased(), url: url, table: table, messages: messages, authentication: authentication)
    }

    /// The URL with the query-string authentication applied.
    var deliveryURL: String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        let separator = url.contains("?") ? "&" : "?"
        switch authentication {
        case .webhookKey(let key): return url + separator + "code=" + encode(key)
        case .httpQueryString(let parameters):
            return url + separator + parameters.keys.sorted().map { "\(encode($0))=\(encode(parameters[$0]!))" }.joined(separator: "&")
        case .httpHeader: return url
        }
    }

    /// As the admin endpoint lists it: the authentication's kind, never its secret.
    package var json: JSONValue {
        let kind: String =
            switch authentication {
            case .httpHeader: "HttpHeader"
            case .webhookKey: "WebhookKey"
            case .httpQueryString: "HttpQueryString"
            }
        return .object([
            "id": .string(id), "url": .string(url), "table": .string(table),
            "messages": .array(messages.map(\.rawValue).sorted().map(JSONValue.string)), "authentication": .object(["type": .string(kind)]),
        ])
    }
}
