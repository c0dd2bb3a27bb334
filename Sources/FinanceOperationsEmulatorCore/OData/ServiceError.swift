import SwitchboardValues

/// An error answer in the shape Finance & Operations' OData service gives:
/// `{"error":{"code":"","message":…,"innererror":{"message":…,"type":…,"stacktrace":…}}}`.
///
/// A failed write says "An error has occurred." with the infolog in `innererror.message`
/// ("Write failed for table row of type 'CustCustomerV3Entity'. Infolog: Warning: Field
/// 'Customer group' must be filled in."), as captured from the service; the code is empty.
/// Routing errors use the texts of the ASP.NET OData stack the service is built on.
public struct ServiceError: Error, Sendable, Hashable {
    public var status: Int
    public var message: String
    /// The inner error's message: the infolog of a failed write.
    public var inner: String?
    /// The inner error's type (`Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException`).
    public var innerType: String?

    public init(status: Int, message: String, inner: String? = nil, innerType: String? = nil) {
        self.status = status
        self.message = message
        self.inner = inner
        self.innerType = innerType
    }

    public var body: JSONValue {
        var error: [String: JSONValue] = ["code": .string(""), "message": .string(message)]
        if let inner {
            error["innererror"] = .object([
                "message": .string(inner), "type": .string(innerType ?? "System.InvalidOperationException"), "stacktrace": .string(""),
            ])
        }
        return .object(["error": .object(error)])
    }

    /// The type of the inner error of a failed write.
    static let writeException = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"

    /// A write the entity refused (validation, a duplicate key, a mandatory field left out),
    /// with its infolog lines. Status 500, as the service answers (some versions answer 400).
    static func writeFailed(_ entity: EntityType, _ infolog: [String], status: Int = 500) -> ServiceError {
        ServiceError(
            status: status, message: "An error has occurred.",
            inner: "Write failed for table row of type '\(entity.tableName)'. Infolog: " + infolog.joined(separator: "\n"),
            innerType: writeException)
    }

    static func badRequest(_ message: String) -> ServiceError { ServiceError(status: 400, message: message) }

    /// A URL that names no entity set.
    static func noResource(_ path: String) -> ServiceError {
        ServiceError(status: 404, message: "No HTTP resource was found that matches the request URI '\(path)'.")
    }

    /// A key that names no record (in the companies the request sees).
    static func notFound(_ set: String) -> ServiceError {
        ServiceError(status: 404, message: "Resource not found for the segment '\(set)'.")
    }
}
