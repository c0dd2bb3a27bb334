import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardEngine
import SwitchboardModel

/// What the management API does, implemented by the hub (SwitchboardHub) over its store and dispatcher.
public protocol ManagementBackend: Sendable {
    /// The token presented, when it exists and is not revoked.
    func authenticate(_ token: String) async -> APIToken?
    func ready() async -> Bool
    func integrations() async throws -> JSONValue
    /// Nil when there is no such integration.
    func setPaused(_ integration: String, _ paused: Bool, actor: String) async throws -> JSONValue?
    func messages(_ filter: MessageFilter) async throws -> JSONValue
    /// The message with every audit record; nil when there is none.
    func message(id: String) async throws -> JSONValue?
    func replay(_ filter: MessageFilter, ids: [String]?, actor: String) async throws -> [String]
    func discard(_ filter: MessageFilter, ids: [String]?, reason: String?, actor: String) async throws -> [String]
    func audit(_ filter: AuditFilter) async throws -> JSONValue
    /// Audit records since `since` (epoch ms), for the dashboard's charts.
    func activity(since: Int64) async throws -> [AuditRecord]
    /// Messages waiting now (ready, leased or waiting for a retry) per integration.
    func waiting() async throws -> [String: Int]
    /// The landscape diagram (SVG) and the checklist status (an HTML table), rendered by `docs`.
    func landscape() -> (svg: String, checklist: String)
    func now() -> Int64
}

/// `/api/v1`: JSON over HTTP with bearer tokens. Every route is in `routes`, which both registers
/// it and writes the OpenAPI document, so the two cannot drift apart.
public enum ManagementAPI {
    /// One operation: its method, path (OpenAPI style, `{id}`), the least role that may call it
    /// (nil: no token needed), and a sentence for the OpenAPI document.
    public struct Operation: Sendable {
        public var method: HTTPRequest.Method
        public var path: String
        public var role: APIToken.Role?
        public var summary: String
        /// Query parameters, for the OpenAPI document.
        public var query: [String] = []
    }

    public static let routes: [Operation] = [
        Operation(method: .get, path: "/api/v1/health", role: nil, summary: "The hub is running."),
        Operation(method: .get, path: "/api/v1/ready", role: nil, summary: "The hub can read its store: 200, or 503."),
        Operation(method: .get, path: "/api/v1/openapi.json", role: nil, summary: "This document."),
        Operation(method: .get, path: "/api/v1/integrations", role: .viewer, summary: "Every integration with its state (paused or running) and its messages by state."),
        Operation(method: .post, path: "/api/v1/integrations/{id}/pause", role: .operator, summary: "Pause an integration: it still accepts and stores messages but does not deliver them."),
        Operation(method: .post, path: "/api/v1/integrations/{id}/resume", role: .operator, summary: "Resume a paused integration."),
        Operation(method: .get, path: "/api/v1/messages", role: .viewer, summary: "Messages, newest first.", query: ["integration", "state", "limit"]),
        Operation(method: .get, path: "/api/v1/messages/{id}", role: .viewer, summary: "One message with its payload and every attempt and change."),
        Operation(method: .get, path: "/api/v1/dead-letters", role: .viewer, summary: "Dead messages, newest first.", query: ["integration", "limit"]),
        Operation(method: .post, path: "/api/v1/dead-letters/replay", role: .operator, summary: "Replay dead messages: body {\"ids\": [...]} or {\"integration\": ID, \"all\": true}."),
        Operation(method: .post, path: "/api/v1/dead-letters/discard", role: .operator, summary: "Discard dead messages: body as for replay, with an optional \"reason\"."),
        Operation(method: .get, path: "/api/v1/audit", role: .viewer, summary: "The audit log, newest first; since and until are epoch milliseconds.",
                  query: ["integration", "message", "since", "until", "limit"]),
    ]

    /// Adds the routes to `router`, each answering JSON with the security headers.
    public static func register(on router: Router<BasicRequestContext>, backend: any ManagementBackend) {
        for operation in routes {
            let path = RouterPath(operation.path.replacingOccurrences(of: "{id}", with: ":id"))
            router.on(path, method: operation.method) { request, context in
                try await respond(operation, request: request, context: context, backend: backend)
            }
        }
    }

    static func respond(_ operation: Operation, request: Request, context: BasicRequestContext, backend: any ManagementBackend) async throws -> Response {
        var actor = "anonymous"
        if let role = operation.role {
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                  let token = await backend.authenticate(String(header.dropFirst("Bearer ".count))) else {
                throw JSONError(status: .unauthorized, code: "unauthorized", message: "a valid token is required: send Authorization: Bearer TOKEN (switchboard token create)")
            }
            guard token.role.allows(role) else {
                throw JSONError(status: .forbidden, code: "forbidden", message: "token \(token.id) is a \(token.role.rawValue); \(operation.method.rawValue) \(operation.path) needs \(role.rawValue)")
            }
            actor = "token \(token.id) (\(token.name))"
        }
        let query = request.uri.queryParameters
        func limit() throws -> Int {
            guard let text = query["limit"] else { return 100 }
            guard let value = Int(String(text)), (1...10_000).contains(value) else {
                throw JSONError(status: .badRequest, code: "bad_request", message: "limit must be a whole number from 1 to 10000, not '\(text)'")
            }
            return value
        }
        let integration = query["integration"].map(String.init)
        switch (operation.method, operation.path) {
        case (.get, "/api/v1/health"): return json(.object(["status": .string("ok")]))
        case (.get, "/api/v1/ready"):
            return await backend.ready() ? json(.object(["status": .string("ready")])) : json(.object(["status": .string("store unavailable")]), status: .serviceUnavailable)
        case (.get, "/api/v1/openapi.json"): return json(openAPI())
        case (.get, "/api/v1/integrations"): return json(try await backend.integrations())
        case (.post, "/api/v1/integrations/{id}/pause"), (.post, "/api/v1/integrations/{id}/resume"):
            let id = context.parameters.get("id") ?? ""
            guard let answer = try await backend.setPaused(id, operation.path.hasSuffix("pause"), actor: actor) else {
                throw JSONError(status: .notFound, code: "not_found", message: "no integration '\(id)'")
            }
            return json(answer)
        case (.get, "/api/v1/messages"):
            var states: [MessageState]?
            if let text = query["state"] {
                states = try text.split(separator: ",").map { name in
                    guard let state = MessageState.allCases.first(where: { $0.description == name }) else {
                        throw JSONError(status: .badRequest, code: "bad_request",
                                        message: "state '\(name)' is not one of \(MessageState.allCases.map(\.description).joined(separator: ", "))")
                    }
                    return state
                }
            }
            return json(try await backend.messages(MessageFilter(integration: integration, states: states, limit: try limit())))
        case (.get, "/api/v1/messages/{id}"):
            let id = context.parameters.get("id") ?? ""
            guard let message = try await backend.message(id: id) else {
                throw JSONError(status: .notFound, code: "not_found", message: "no message with id \(id)")
            }
            return json(message)
        case (.get, "/api/v1/dead-letters"):
            return json(try await backend.messages(MessageFilter(integration: integration, states: [.dead], limit: try limit())))
        case (.post, "/api/v1/dead-letters/replay"), (.post, "/api/v1/dead-letters/discard"):
            let body = try await selection(request)
            let filter = MessageFilter(integration: body.integration, states: [.dead], limit: 10_000)
            let done = operation.path.hasSuffix("replay")
                ? try await backend.replay(filter, ids: body.ids, actor: actor)
                : try await backend.discard(filter, ids: body.ids, reason: body.reason, actor: actor)
            return json(.object([operation.path.hasSuffix("replay") ? "replayed" : "discarded": .array(done.map(JSONValue.string))]))
        case (.get, "/api/v1/audit"):
            func time(_ name: String) throws -> Int64? {
                guard let text = query[name[...]] else { return nil }
                guard let value = Int64(String(text)) else {
                    throw JSONError(status: .badRequest, code: "bad_request", message: "\(name) must be epoch milliseconds, not '\(text)'")
                }
                return value
            }
            return json(try await backend.audit(AuditFilter(messageID: query["message"].map(String.init), integration: integration,
                                                             since: try time("since"), until: try time("until"), limit: try limit())))
        default:
            throw JSONError(status: .notFound, code: "not_found", message: "no such operation")
        }
    }

    /// Which dead letters a replay or discard is about: ids, or all of one integration (or of all,
    /// with `"all": true` and no integration). Nothing is done on a body that names neither.
    static func selection(_ request: Request) async throws -> (ids: [String]?, integration: String?, reason: String?) {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let body: JSONValue
        do { body = try JSONValue(json: Array(buffer.readableBytesView)) } catch {
            throw JSONError(status: .badRequest, code: "invalid_json", message: "the body is not JSON: \((error as? JSONValue.ParseError)?.description ?? "it cannot be parsed")")
        }
        let ids: [String]? = if case .array(let items)? = body["ids"] { items.map(\.text) } else { nil }
        let integration = body["integration"]?.text
        guard ids != nil || body["all"] == .bool(true) else {
            throw JSONError(status: .badRequest, code: "bad_request", message: "say which dead letters: {\"ids\": [...]} or {\"all\": true} (with \"integration\" for one integration's)")
        }
        return (ids, integration, body["reason"]?.text)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = SecurityHeaders.fields
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    /// The OpenAPI 3.0 document of `routes`.
    public static func openAPI() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in routes {
            var parameters: [JSONValue] = operation.query.map { name in
                .object(["name": .string(name), "in": .string("query"), "required": .bool(false), "schema": .object(["type": .string(["limit", "since", "until"].contains(name) ? "integer" : "string")])])
            }
            if operation.path.contains("{id}") {
                parameters.append(.object(["name": .string("id"), "in": .string("path"), "required": .bool(true), "schema": .object(["type": .string("string")])]))
            }
            var entry: [String: JSONValue] = [
                "summary": .string(operation.summary),
                "responses": .object([
                    "200": .object(["description": .string("OK"), "content": .object(["application/json": .object(["schema": .object(["type": .string("object")])])])]),
                    "400": .object(["description": .string("A request the hub cannot act on, with a sentence saying why")]),
                    "401": .object(["description": .string("No valid token")]),
                    "403": .object(["description": .string("The token's role does not allow it")]),
                    "404": .object(["description": .string("No such integration or message")]),
                ]),
            ]
            if !parameters.isEmpty { entry["parameters"] = .array(parameters) }
            if let role = operation.role {
                entry["security"] = .array([.object(["bearer": .array([])])])
                entry["x-switchboard-role"] = .string(role.rawValue)
            }
            if case .object(var existing)? = paths[operation.path] {
                existing[operation.method.rawValue.lowercased()] = .object(entry)
                paths[operation.path] = .object(existing)
            } else {
                paths[operation.path] = .object([operation.method.rawValue.lowercased(): .object(entry)])
            }
        }
        return .object([
            "openapi": .string("3.0.3"),
            "info": .object(["title": .string("Switchboard management API"), "version": .string("1")]),
            "paths": .object(paths),
            "components": .object(["securitySchemes": .object(["bearer": .object(["type": .string("http"), "scheme": .string("bearer")])])]),
        ])
    }
}
