import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardModel

/// An error answered as `{"error": {"code": "...", "message": "..."}}` with its status.
public struct JSONError: HTTPResponseError {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Seconds for a `Retry-After` header; nil: none.
    public var retryAfter: Int?
    /// More headers of the answer, such as a `405`'s `Allow`.
    public var headers: HTTPFields
    /// Each problem, for an answer about many (a workspace a reload refused); empty: none listed.
    public var problems: [String]

    public init(
        status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil, headers: HTTPFields = [:], problems: [String] = []
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.headers = headers
        self.problems = problems
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if !problems.isEmpty { error["problems"] = .array(problems.map(JSONValue.string)) }
        let data = JSONValue.object(["error": .object(error)]).serialized()
        var headers = SecurityHeaders.fields
        headers[.contentType] = "application/json; charset=utf-8"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        headers.append(contentsOf: self.headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Answers every error as JSON: the router's 404 (a `405` with `Allow` when the management API
/// serves the path with other methods), a too-large body, and anything unexpected (as a 500
/// without internals; the details go to the log). A management API path with a trailing slash is
/// not found, so `/api/v1/messages/` is never taken for the list.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/api/"), path.hasSuffix("/") {
            throw JSONError(status: .notFound, code: "not_found", message: "no endpoint at \(request.method) \(path)")
        }
        do {
            return try await next(request, context)
        } catch let error as JSONError {
            throw error
        } catch let error as HTTPError where error.status == .notFound && ManagementAPI.allowedMethods(at: path) != nil {
            let allow = (ManagementAPI.allowedMethods(at: path) ?? []).joined(separator: ", ")
            throw JSONError(
                status: .methodNotAllowed, code: "method_not_allowed", message: "\(path) takes \(allow), not \(request.method)",
                headers: [.allow: allow])
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "bad_request"
            let message =
                error.status == .notFound ? "no endpoint at \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            throw JSONError(status: error.status, code: code, message: message)
        } catch is NIOTooManyBytesError {
            throw JSONError(status: .contentTooLarge, code: "payload_too_large", message: "the body is larger than the limit")
        } catch {
            context.logger.error("request failed", metadata: ["sb.error": "\(error)"])
            throw JSONError(status: .internalServerError, code: "internal", message: "the hub could not handle the request; see its log")
        }
    }
}

/// Headers every answer of the hub carries: no sniffing, no framing, no referrer, no caching of
/// management answers, and a policy that allows nothing to load from elsewhere.
enum SecurityHeaders {
    static let fields: HTTPFields = [
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; frame-ancestors 'none'",
        .cacheControl: "no-store",
    ]
}

/// Adds `SecurityHeaders` to every answer that does not set them itself.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in SecurityHeaders.fields where response.headers[field.name] == nil { response.headers.append(field) }
        return response
    }
}
