/// Why an inbound message was refused. Nothing is stored when one is thrown.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case notFound = "not_found"
        case unauthorized
        case payloadTooLarge = "payload_too_large"
        case invalidJSON = "invalid_json"
        case missingKey = "missing_key"
        case invalidPayload = "invalid_payload"
        case unavailable
    }

    private let code: Code
    /// One sentence naming what is wrong; safe to send to the caller (no secrets).
    public let message: String

    public var codeName: String { code.rawValue }

    /// The HTTP status that answers this error.
    public var status: Int {
        switch code {
        case .notFound: 404
        case .unauthorized: 401
        case .payloadTooLarge: 413
        case .invalidJSON, .missingKey, .invalidPayload: 400
        case .unavailable: 503
        }
    }

    public var description: String { message }

    public static func notFound(_ path: String) -> Self { .init(code: .notFound, message: "no integration receives at \(path)") }
    public static func unauthorized(_ message: String) -> Self { .init(code: .unauthorized, message: message) }
    public static func payloadTooLarge(limit: Int) -> Self {
        .init(code: .payloadTooLarge, message: "the body is larger than the limit of \(limit) bytes")
    }
    public static func invalidJSON(_ detail: String) -> Self { .init(code: .invalidJSON, message: "the body is not valid JSON: \(detail)") }
    public static func missingKey(_ message: String) -> Self { .init(code: .missingKey, message: message) }
    public static func invalidPayload(_ message: String) -> Self { .init(code: .invalidPayload, message: message) }
    public static let unavailable = Self(code: .unavailable, message: "the hub is shutting down or its store is unavailable; retry later")
    /// The store refused the write: the reason (`database or disk is full`) is the store's, never the message's.
    public static func storeRefused(_ reason: String) -> Self {
        .init(code: .unavailable, message: "the hub's store refuses writes (\(reason)); nothing was stored, retry later")
    }
}
