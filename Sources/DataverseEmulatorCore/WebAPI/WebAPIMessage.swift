import Foundation
import SwitchboardValues

/// A Web API request, independent of the HTTP server, so `$batch` parts go through the same handler.
public struct WebAPIRequest: Sendable {
    public var method: String
    /// The path after `/api/data/v9.2/`, percent-decoded, for example `accounts(accountnumber='A-1')`.
    public var resourcePath: String
    /// Query parameters in order, percent-decoded.
    public var query: [(String, String)]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, resourcePath: String, query: [(String, String)] = [], headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.resourcePath = resourcePath
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Splits `a=1&b=2` into decoded pairs, keeping their order. `+` stands for a space, as
    /// clients that form-encode query strings (Python's requests) write it; a plus is `%2B`.
    public static func parseQuery(_ query: String?) -> [(String, String)] { QueryString.parse(query) }
}

/// A Web API response: status, headers and body.
public struct WebAPIResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Operations the request performed: 1, or a bulk message's targets, or a batch's requests.
    /// Simulated execution time and entitlements count these.
    public var operations = 1

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package static let odataHeaders = [("OData-Version", "4.0")]

    package static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> WebAPIResponse {
        WebAPIResponse(
            status: status, headers: odataHeaders + [("Content-Type", "application/json; odata.metadata=minimal")] + headers, body: value.serialized()
        )
    }

    package static func noContent(headers: [(String, String)] = []) -> WebAPIResponse {
        WebAPIResponse(status: 204, headers: odataHeaders + headers)
    }

    package static func error(_ error: DataverseError) -> WebAPIResponse {
        let body: JSONValue = .object(["error": .object(["code": .string(error.code), "message": .string(error.message)])])
        return json(error.status, body, headers: error.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
