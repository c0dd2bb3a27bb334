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
    /// Where dashboard sessions are kept: the store, so every node and a restart know them.
    var sessions: any SessionStore { get }
    /// Nil when the hub can take work; otherwise why not, in a sentence (the store cannot be
    /// read, or refuses writes).
    func unreadiness() async -> String?
    func integrations() async throws -> JSONValue
    /// The nodes sharing the store, with their leases and duties.
    func nodes() async throws -> JSONValue
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
    /// The workspace revision running: `{revision, commit, files, loaded_at}`.
    func revision() -> JSONValue
    /// Reads the workspace again and, when it is clean, runs it: `{revision, previous, warnings}`;
    /// otherwise the hub runs what it ran and the failure says why.
    func reload(actor: String) async -> Result<JSONValue, ReloadFailure>
}

/// Why a reload changed nothing: a sentence, and each problem as `file:line:column: sentence`.
public struct ReloadFailure: Error, Sendable {
    public var message: String
    public var problems: [String]

    public init(message: String, problems: [String]) {
        self.message = message
        self.problems = problems
    }
}

/// `/api/v1`: JSON over HTTP with bearer tokens. Every route is in `routes`, which both registers
/// it (a Hummingbird route, behind `TokenMiddleware` when it needs a role) and writes the OpenAPI
/// document, so the two cannot drift apart.
public enum ManagementAPI {
    /// What a route does: the request, its context (with the caller), the backend.
    public typealias Handler = @Sendable (Request, HubRequestContext, any ManagementBackend) async throws -> Response

    /// One operation: its method, path (OpenAPI style, `{id}`), the least role that may call it
    /// (nil: no token needed), a sentence for the OpenAPI document, the schemas of what it reads
    /// and answers, and what it does.
    public struct Operation: Sendable {
        public var method: HTTPRequest.Method
        public var path: String
        public var role: APIToken.Role?
        public var summary: String
        /// Query parameters and their schemas, for the OpenAPI document.
        public var query: [(name: String, schema: JSONValue)] = []
        /// The request body's schema; nil: none is read.
        public var body: JSONValue?
        /// The schema of a `200` answer.
        public var answer: JSONValue
        /// Statuses besides `200` and those the role, the path and the query imply (`503` for readiness).
        public var otherStatuses: [Int] = []
        public var handler: Handler

        init(
            _ method: HTTPRequest.Method, _ path: String, role: APIToken.Role?, summary: String, query: [(name: String, schema: JSONValue)] = [],
            body: JSONValue? = nil, answer: JSONValue, otherStatuses: [Int] = [], handler: @escaping Handler
        ) {
            self.method = method
            self.path = path
            self.role = role
            self.summary = summary
            self.query = query
            self.body = body
            self.answer = answer
            self.otherStatuses = otherStatuses
            self.handler = handler
        }
    }

    static let limitParameter = (name: "limit", schema: APISchema.integer(1...10_000))

    public static let routes: [Operation] = [
        Operation(.get, "/api/v1/health", role: nil, summary: "The hub is running.", answer: APISchema.status) { _, _, _ in
            json(.object(["status": .string("ok")]))
        },
        Operation(
            .get, "/api/v1/ready", role: nil, summary: "The hub can read its store and the store takes writes: 200, or 503 with why not.",
            answer: APISchema.status, otherStatuses: [503]
        ) {
            _, _, backend in
            if let reason = await backend.unreadiness() {
                return json(.object(["status": .string("not ready"), "reason": .string(reason)]), status: .serviceUnavailable)
            }
            return json(.object(["status": .string("ready")]))
        },
        Operation(.get, "/api/v1/openapi.json", role: nil, summary: "This document.", answer: .object(["type": .string("object")])) { _, _, _ in
            json(openAPI())
        },
        Operation(
            .get, "/api/v1/workspace", role: .viewer,
            summary: "The workspace revision running: a hash of its files, the git commit checked out, each file's hash, when it was loaded.",
            answer: APISchema.revision
        ) { _, _, backend in
            json(backend.revision())
        },
        Operation(
            .post, "/api/v1/reload", role: .admin,
            summary:
                "Read the workspace again and run it when it is clean, without dropping accepted messages or deliveries in flight; otherwise 422 with every problem, and the hub runs what it ran.",
            answer: APISchema.reloadAnswer, otherStatuses: [422]
        ) { _, context, backend in
            switch await backend.reload(actor: context.actor) {
            case .success(let answer): return json(answer)
            case .failure(let failure):
                throw JSONError(status: .unprocessableContent, code: "invalid_workspace", message: failure.message, problems: failure.problems)
            }
        },
        Operation(
            .get, "/api/v1/nodes", role: .viewer,
            summary: "The hub nodes sharing the store: id, host, start, last heartbeat, alive, messages in flight and the duties each holds.",
            answer: APISchema.array(APISchema.node)
        ) { _, _, backend in
            json(try await backend.nodes())
        },
        Operation(
            .get, "/api/v1/integrations", role: .viewer, summary: "Every integration with its state (paused or running) and its messages by state.",
            answer: APISchema.array(APISchema.integration)
        ) { _, _, backend in
            json(try await backend.integrations())
        },
        Operation(
            .post, "/api/v1/integrations/{id}/pause", role: .operator,
            summary: "Pause an integration: it still accepts and stores messages but does not deliver them.", answer: APISchema.pauseAnswer
        ) { _, context, backend in
            try await setPaused(true, context: context, backend: backend)
        },
        Operation(.post, "/api/v1/integrations/{id}/resume", role: .operator, summary: "Resume a paused integration.", answer: APISchema.pauseAnswer)
        {
            _, context, backend in
            try await setPaused(false, context: context, backend: backend)
        },
        Operation(
            .get, "/api/v1/messages", role: .viewer, summary: "Messages, newest first; state is one or more states separated by commas.",
            query: [("integration", APISchema.string), ("state", APISchema.stateList), limitParameter], answer: APISchema.array(APISchema.message)
        ) {
            request, _, backend in
            let query = request.uri.queryParameters
            var states: [MessageState]?
            if let text = query["state"] {
                states = try text.split(separator: ",", omittingEmptySubsequences: false).map { name in
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
        Operation(
            .get, "/api/v1/messages/{id}", role: .viewer, summary: "One message with its payload and every attempt and change.",
            answer: APISchema.messageDetail
        ) {
            _, context, backend in
            let id = context.parameters.get("id") ?? ""
            guard let message = try await backend.message(id: id) else {
                throw JSONError(status: .notFound, code: "not_found", message: "no message with id \(id)")
            }
            return json(message)
        },
        Operation(
            .get, "/api/v1/dead-letters", role: .viewer, summary: "Dead messages, newest first.",
            query: [("integration", APISchema.string), limitParameter],
            answer: APISchema.array(APISchema.message)
        ) {
            request, _, backend in
            json(
                try await backend.messages(
                    MessageFilter(
                        integration: request.uri.queryParameters["integration"].map(String.init), states: [.dead],
                        limit: try limit(request))))
        },
        Operation(
            .post, "/api/v1/dead-letters/replay", role: .operator,
            summary: "Replay dead messages: body {\"ids\": [...]} or {\"integration\": ID, \"all\": true}.",
            body: APISchema.selection(reason: false), answer: APISchema.done("replayed")
        ) { request, context, backend in
            let body = try await selection(request, reason: false)
            let done = try await backend.replay(
                MessageFilter(integration: body.integration, states: [.dead], limit: 10_000), ids: body.ids, actor: context.actor)
            return json(.object(["replayed": .array(done.map(JSONValue.string))]))
        },
        Operation(
            .post, "/api/v1/dead-letters/discard", role: .operator,
            summary: "Discard dead messages: body as for replay, with an optional \"reason\".",
            body: APISchema.selection(reason: true), answer: APISchema.done("discarded")
        ) { request, context, backend in
            let body = try await selection(request, reason: true)
            let done = try await backend.discard(
                MessageFilter(integration: body.integration, states: [.dead], limit: 10_000), ids: body.ids,
                reason: body.reason, actor: context.actor)
            return json(.object(["discarded": .array(done.map(JSONValue.string))]))
        },
        Operation(
            .get, "/api/v1/audit", role: .viewer, summary: "The audit log, newest first; since and until are epoch milliseconds.",
            query: [
                ("integration", APISchema.string), ("message", APISchema.string), ("since", APISchema.integer(APISchema.epochMillis)),
                ("until", APISchema.integer(APISchema.epochMillis)), limitParameter,
            ],
            answer: APISchema.array(APISchema.auditRecord)
        ) { request, _, backend in
            let query = request.uri.queryParameters
            func time(_ name: String) throws -> Int64? {
                guard let text = query[name[...]] else { return nil }
                guard let value = Int64(String(text)), APISchema.epochMillis.contains(value) else {
                    throw JSONError(
                        status: .badRequest, code: "bad_request",
                        message: "\(name) must be epoch milliseconds from 0 to \(APISchema.epochMillis.upperBound), not '\(text)'")
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

    /// The methods the API takes at `path` (`/api/v1/messages/01H…`), for a `405`'s `Allow`; nil
    /// when the API serves nothing there.
    static func allowedMethods(at path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let methods = routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false)
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0 == "{id}" ? !$1.isEmpty : $0 == $1 }
        }.map(\.method.rawValue)
        return methods.isEmpty ? nil : methods
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
    /// with `"all": true` and no integration). Nothing is done on a body that names neither, or
    /// whose fields are not of their types (`"ids": 5` with `"all": true` must not replay everything).
    static func selection(_ request: Request, reason allowsReason: Bool) async throws -> (ids: [String]?, integration: String?, reason: String?) {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let body: JSONValue
        do { body = try JSONValue(json: Array(buffer.readableBytesView)) } catch {
            throw JSONError(
                status: .badRequest, code: "invalid_json",
                message: "the body is not JSON: \((error as? JSONValue.ParseError)?.description ?? "it cannot be parsed")")
        }
        func refuse(_ message: String) -> JSONError { JSONError(status: .badRequest, code: "bad_request", message: message) }
        guard case .object(let fields) = body else { throw refuse("the body must be a JSON object, not \(body.kindName)") }
        var ids: [String]?
        if let value = fields["ids"] {
            guard case .array(let items) = value else { throw refuse("ids must be an array of message ids, not \(value.kindName)") }
            ids = try items.map { item in
                guard case .string(let id) = item else { throw refuse("ids must hold message ids (strings), not \(item.kindName)") }
                return id
            }
        }
        func text(_ name: String) throws -> String? {
            guard let value = fields[name] else { return nil }
            guard case .string(let text) = value else { throw refuse("\(name) must be a string, not \(value.kindName)") }
            return text
        }
        let integration = try text("integration")
        let reason = allowsReason ? try text("reason") : nil
        if let all = fields["all"], all.kindName != JSONValue.bool(true).kindName {
            throw refuse("all must be true or false, not \(all.kindName)")
        }
        guard ids != nil || fields["all"] == .bool(true) else {
            throw refuse("say which dead letters: {\"ids\": [...]} or {\"all\": true} (with \"integration\" for one integration's)")
        }
        return (ids, integration, reason)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = SecurityHeaders.fields
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    /// The OpenAPI 3.0 document of `routes`, with each operation's parameters, body and answers
    /// as its handler reads and writes them, and every status it can answer.
    public static func openAPI() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in routes {
            var parameters: [JSONValue] = operation.query.map { parameter in
                .object(["name": .string(parameter.name), "in": .string("query"), "required": .bool(false), "schema": parameter.schema])
            }
            if operation.path.contains("{id}") {
                parameters.append(.object(["name": .string("id"), "in": .string("path"), "required": .bool(true), "schema": APISchema.string]))
            }
            var entry: [String: JSONValue] = [
                "summary": .string(operation.summary), "operationId": .string(operationID(operation)),
                "responses": .object(responses(operation)),
            ]
            if !parameters.isEmpty { entry["parameters"] = .array(parameters) }
            if let body = operation.body {
                entry["requestBody"] = .object(["required": .bool(true), "content": .object(["application/json": .object(["schema": body])])])
            }
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

    /// `getMessagesId`-like names, unique per method and path.
    static func operationID(_ operation: Operation) -> String {
        let words = operation.path.split(separator: "/").dropFirst(2).flatMap { $0.split(separator: "-") }
            .map { $0.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: ".", with: "") }
        return operation.method.rawValue.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Every status the operation can answer, each with its schema.
    static func responses(_ operation: Operation) -> [String: JSONValue] {
        func answer(_ description: String, _ schema: JSONValue) -> JSONValue {
            .object(["description": .string(description), "content": .object(["application/json": .object(["schema": schema])])])
        }
        var responses: [String: JSONValue] = ["200": answer("OK", operation.answer)]
        if !operation.query.isEmpty || operation.body != nil {
            responses["400"] = answer("A request the hub cannot act on, with a sentence saying why", APISchema.error)
        }
        if operation.body != nil { responses["413"] = answer("The body is larger than 1 MiB", APISchema.error) }
        if operation.role != nil {
            responses["401"] = answer("No valid token", APISchema.error)
            responses["403"] = answer("The token's role does not allow it", APISchema.error)
            responses["429"] = answer("Too many failed sign-ins from this address; Retry-After says when to try again", APISchema.error)
        }
        if operation.path.contains("{id}") { responses["404"] = answer("No such integration or message", APISchema.error) }
        for status in operation.otherStatuses {
            responses[String(status)] = answer(
                status == 503 ? "Not ready, with the reason" : "Error", status == 503 ? APISchema.status : APISchema.error)
        }
        return responses
    }
}
