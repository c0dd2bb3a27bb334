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
    /// The token stored under `hash`, when it exists and is not revoked: what a dashboard session
    /// checks on every request, so revoking a token ends its sessions.
    func currentToken(hash: String) async -> APIToken?
    /// Nil when the hub can take work; otherwise why not, in a sentence (the store cannot be
    /// read, or refuses writes).
    func unreadiness() async -> String?
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
/// it (a Hummingbird route, behind `TokenMiddleware` when it needs a role) and writes the OpenAPI
/// document, so the two cannot drift apart.
public enum ManagementAPI {
    /// What a route does: the request, its context (with the caller), the backend.
    public typealias Handler = @Sendable (Request, HubRequestContext, any ManagementBackend) async throws -> Response

    /// One operation: its method, path (OpenAPI style, `{id}`), the least role that may call it
    /// (nil: no token needed), a sentence for the OpenAPI document, and what it does.
    public struct Operation: Sendable {
        public var method: HTTPRequest.Method
        public var path: String
        public var role: APIToken.Role?
        public var summary: String
        /// Query parameters, for the OpenAPI document.
        public var query: [String] = []
        public var handler: Handler

        init(_ method: HTTPRequest.Method, _ path: String, role: APIToken.Role?, summary: String, query: [String] = [], handler: @escaping Handler) {
            self.method = method
            self.path = path
            self.role = role
            self.summary = summary
            self.query = query
            self.handler = handler
        }
    }

    public static let routes: [Operation] = [
        Operation(.get, "/api/v1/health", role: nil, summary: "The hub is running.") { _, _, _ in json(.object(["status": .string("ok")])) },
        Operation(.get, "/api/v1/ready", role: nil, summary: "The hub can read its store and the store takes writes: 200, or 503 with why not.") {
            _, _, backend in
            if let reason = await backend.unreadiness() {
                return json(.object(["status": .string("not ready"), "reason": .string(reason)]), status: .serviceUnavailable)
            }
            return json(.object(["status": .string("ready")]))
        },
        Operation(.get, "/api/v1/openapi.json", role: nil, summary: "This document.") { _, _, _ in json(openAPI()) },
        Operation(
            .get, "/api/v1/integrations", role: .viewer, summary: "Every integration with its state (paused or running) and its messages by state."
        ) { _, _, backend in
            json(try await backend.integrations())
        },
        Operation(
            .post, "/api/v1/integrations/{id}/pause", role: .operator,
            summary: "Pause an integration: it still accepts and stores messages but does not deliver them."
        ) { _, context, backend in
            try await setPaused(true, context: context, backend: backend)
        },
        Operation(.post, "/api/v1/integrations/{id}/resume", role: .operator, summary: "Resume a paused integration.") { _, context, backend in
            try await setPaused(false, context: context, backend: backend)
        },
        Operation(.get, "/api/v1/messages", role: .viewer, summary: "Messages, newest first.", query: ["integration", "state", "limit"]) {
            request, _, backend in
            let query = request.uri.queryParameters
            var states: [MessageState]?
            if let text = query["state"] {
                states = try text.split(separator: ",").map { name in
                    guard let state = MessageState.allCases.first(where: { $0.description == name }) else {
                        throw JSONError(
                            status: .badRequest, code: "bad_request",
                            message: "state '\(name)' is not one of \(MessageState.allCases.map(\.description).joined(separator: ", "))")
                    }
                    return state
                }
            }
            return json(
                try await backend.messages(
                    MessageFilter(integration: query["integration"].map(String.init), states: states, limit: try limit(request))))
        },
        Operation(.get, "/api/v1/messages/{id}", role: .viewer, summary: "One message with its payload and every attempt and change.") {
            _, context, backend in
            let id = context.parameters.get("id") ?? ""
            guard let message = try await backend.message(id: id) else {
                throw JSONError(status: .notFound, code: "not_found", message: "no message with id \(id)")
            }
            return json(message)
        },
        Operation(.get, "/api/v1/dead-letters", role: .viewer, summary: "Dead messages, newest first.", query: ["integration", "limit"]) {
            request, _, backend in
            json(
                try await backend.messages(
                    MessageFilter(
                        integration: request.uri.queryParameters["integration"].map(String.init), states: [.dead],
                        limit: try limit(request))))
        },
        Operation(
            .post, "/api/v1/dead-letters/replay", role: .operator,
            summary: "Replay dead messages: body {\"ids\": [...]} or {\"integration\": ID, \"all\": true}."
        ) { request, context, backend in
            let body = try await selection(request)
            let done = try await backend.replay(
                MessageFilter(integration: body.integration, states: [.dead], limit: 10_000), ids: body.ids, actor: context.actor)
            return json(.object(["replayed": .array(done.map(JSONValue.string))]))
        },
        Operation(
            .post, "/api/v1/dead-letters/discard", role: .operator,
            summary: "Discard dead messages: body as for replay, with an optional \"reason\"."
        ) { request, context, backend in
            let body = try await selection(request)
            let done = try await backend.discard(
                MessageFilter(integration: body.integration, states: [.dead], limit: 10_000), ids: body.ids,
                reason: body.reason, actor: context.actor)
            return json(.object(["discarded": .array(done.map(JSONValue.string))]))
        },
        Operation(
            .get, "/api/v1/audit", role: .viewer, summary: "The audit log, newest first; since and until are epoch milliseconds.",
            query: ["integration", "message", "since", "until", "limit"]
        ) { request, _, backend in
            let query = request.uri.queryParameters
            func time(_ name: String) throws -> Int64? {
                guard let text = query[name[...]] else { return nil }
                guard let value = Int64(String(text)) else {
                    throw JSONError(status: .badRequest, code: "bad_request", message: "\(name) must be epoch milliseconds, not '\(text)'")
                }
                return value
            }
            return json(
                try await backend.audit(
                    AuditFilter(
                        messageID: query["message"].map(String.init), integration: query["integration"].map(String.init),
                        since: try time("since"), until: try time("until"), limit: try limit(request))))
        },
    ]

    /// Adds the routes to `router`: each a Hummingbird route, behind `TokenMiddleware` when it needs a role.
    static func register(on router: Router<HubRequestContext>, backend: any ManagementBackend, throttle: SignInThrottle) {
        for operation in routes {
            let path = RouterPath(operation.path.replacingOccurrences(of: "{id}", with: ":id"))
            let handler = operation.handler
            if let role = operation.role {
                router.group()
                    .add(
                        middleware: TokenMiddleware(
                            role: role, operation: "\(operation.method.rawValue) \(operation.path)", backend: backend, throttle: throttle)
                    )
                    .on(path, method: operation.method) { request, context in try await handler(request, context, backend) }
            } else {
                router.on(path, method: operation.method) { request, context in try await handler(request, context, backend) }
            }
        }
    }

    static func setPaused(_ paused: Bool, context: HubRequestContext, backend: any ManagementBackend) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let answer = try await backend.setPaused(id, paused, actor: context.actor) else {
            throw JSONError(status: .notFound, code: "not_found", message: "no integration '\(id)'")
        }
        return json(answer)
    }

    /// `limit`: 100 unless given, from 1 to 10,000.
    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"] else { return 100 }
        guard let value = Int(String(text)), (1...10_000).contains(value) else {
            throw JSONError(status: .badRequest, code: "bad_request", message: "limit must be a whole number from 1 to 10000, not '\(text)'")
        }
        return value
    }

    /// Which dead letters a replay or discard is about: ids, or all of one integration (or of all,
    /// with `"all": true` and no integration). Nothing is done on a body that names neither.
    static func selection(_ request: Request) async throws -> (ids: [String]?, integration: String?, reason: String?) {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let body: JSONValue
        do { body = try JSONValue(json: Array(buffer.readableBytesView)) } catch {
            throw JSONError(
                status: .badRequest, code: "invalid_json",
                message: "the body is not JSON: \((error as? JSONValue.ParseError)?.description ?? "it cannot be parsed")")
        }
        let ids: [String]? = if case .array(let items)? = body["ids"] { items.map(\.text) } else { nil }
        let integration = body["integration"]?.text
        guard ids != nil || body["all"] == .bool(true) else {
            throw JSONError(
                status: .badRequest, code: "bad_request",
                message: "say which dead letters: {\"ids\": [...]} or {\"all\": true} (with \"integration\" for one integration's)")
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
                .object([
                    "name": .string(name), "in": .string("query"), "required": .bool(false),
                    "schema": .object(["type": .string(["limit", "since", "until"].contains(name) ? "integer" : "string")]),
                ])
            }
            if operation.path.contains("{id}") {
                parameters.append(
                    .object(["name": .string("id"), "in": .string("path"), "required": .bool(true), "schema": .object(["type": .string("string")])]))
            }
            var entry: [String: JSONValue] = [
                "summary": .string(operation.summary),
                "responses": .object([
                    "200": .object([
                        "description": .string("OK"),
                        "content": .object(["application/json": .object(["schema": .object(["type": .string("object")])])]),
                    ]),
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
