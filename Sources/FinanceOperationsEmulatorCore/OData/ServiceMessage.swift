import SwitchboardValues

/// A request to the emulated service, as the server hands it over.
public struct ServiceRequest: Sendable {
    public var method: String
    /// The path, percent-decoded (`/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')`).
    public var path: String
    /// The query's name and value pairs, percent-decoded, in order.
    public var query: [(String, String)]
    /// The request's headers (names in any case).
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The scheme, host and port the request reached (`https://127.0.0.1:8443`): links start with it.
    public var root: String
    /// The company of the user the application is mapped to: what reads see without
    /// `cross-company=true` and where creates without `dataAreaId` go.
    public var company: String

    public init(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = [], root: String,
        company: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.root = root
        self.company = company
    }

    func option(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// The emulated service's answer.
public struct ServiceResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// `OData-Version: 4.0` and JSON with minimal metadata, as the service answers.
    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> ServiceResponse {
        ServiceResponse(
            status: status, headers: [("Content-Type", "application/json; odata.metadata=minimal"), ("OData-Version", "4.0")] + headers,
            body: Array(value.jsonString.utf8))
    }

    static func empty(_ status: Int) -> ServiceResponse { ServiceResponse(status: status, headers: [("OData-Version", "4.0")], body: []) }

    static func text(_ text: String, type: String = "text/plain") -> ServiceResponse {
        ServiceResponse(status: 200, headers: [("Content-Type", type), ("OData-Version", "4.0")], body: Array(text.utf8))
    }

    static func error(_ error: ServiceError) -> ServiceResponse { json(error.status, error.body) }

    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}
