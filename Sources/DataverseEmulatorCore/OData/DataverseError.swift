/// An error answered the way the Dataverse Web API answers it: a status and
/// `{"error": {"code": "0x...", "message": "..."}}`.
///
/// Codes and messages follow Microsoft's documentation where it gives them:
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
/// and the pages cited at each factory below.
public struct DataverseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    /// The hexadecimal error code, often empty (Dataverse leaves it empty for several errors).
    public var code: String
    public var message: String
    /// Extra response headers (for example `Retry-After` on a 429).
    public var headers: [String: String] = [:]

    public init(status: Int, code: String, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status) \(code) \(message)" }

    /// Generic OData request errors (unknown segment, property, query syntax) carry this code.
    package static let odataCode = "0x80060888"

    package static func resourceNotFound(segment: String) -> DataverseError {
        DataverseError(status: 404, code: odataCode, message: "Resource not found for the segment '\(segment)'.")
    }

    static func unknownProperty(_ property: String, table: TableSchema) -> DataverseError {
        DataverseError(
            status: 400, code: odataCode,
            message:
                "The property '\(property)' does not exist on type '\(table.qualifiedName)'. Make sure to only use property names that are defined by the type."
        )
    }

    package static func badRequest(_ message: String) -> DataverseError {
        DataverseError(status: 400, code: odataCode, message: message)
    }

    /// Not-found as Dataverse words it, for example `account With Id = ... Does Not Exist`
    /// (`0x80040217`, ObjectDoesNotExist).
    static func recordNotFound(table: String, id: String) -> DataverseError {
        DataverseError(status: 404, code: "0x80040217", message: "\(table) With Id = \(id) Does Not Exist")
    }

    /// `If-Match: *` on an upsert of a missing record: 404 with an empty code.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
    static func upsertTargetMissing(table: String, id: String) -> DataverseError {
        DataverseError(status: 404, code: "", message: "\(table) With Id = \(id) Does Not Exist")
    }

    /// `If-None-Match: *` on an upsert of an existing record (same page).
    static let recordExists = DataverseError(status: 412, code: "", message: "A record with matching key values already exists.")

    /// `If-Match` with an ETag that is not the record's (optimistic concurrency; same page).
    static let versionMismatch = DataverseError(
        status: 412, code: "0x80060882",
        message: "The version of the existing record doesn't match the RowVersion property provided.")

    /// A second record with the same alternate key values (DuplicateRecordEntityKey, `0x80060892`).
    static func duplicateKey(values: String, key: AlternateKey) -> DataverseError {
        DataverseError(
            status: 412, code: "0x80060892",
            message:
                "A record that has the attribute values \(values) already exists. The entity key \(key.displayName) requires that this set of attributes contains unique values. Select unique values and try again."
        )
    }

    /// A key segment that matches neither the primary key nor an alternate key.
    /// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/use-alternate-key-reference-record
    static func invalidKey(table: TableSchema) -> DataverseError {
        DataverseError(
            status: 400, code: odataCode,
            message:
                "The key in the request URI is not valid for resource '\(table.qualifiedName)'. Ensure that the names and number of key properties match the declared or alternate key properties for the resource '\(table.qualifiedName)'."
        )
    }

    /// No bearer token, or one that is not valid (401; Dataverse also sends `WWW-Authenticate`).
    package static func unauthorized(_ message: String, tenant: String, resource: String) -> DataverseError {
        DataverseError(
            status: 401, code: "0x80072560", message: message,
            headers: ["WWW-Authenticate": "Bearer authorization_uri=\(resource)/\(tenant)/oauth2/authorize, resource_id=\(resource)/"])
    }
}

extension DataverseError {
    /// The service protection limit behind a 429, from its documented code.
    public var throttleReason: ServiceProtection.Reason? {
        guard status == 429 else { return nil }
        return switch code {
        case "0x80072322": .requests
        case "0x80072321": .executionTime
        case "0x80072326": .concurrency
        default: nil
        }
    }
}
