import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardEngine
import SwitchboardModel

/// The dashboard at `/`: server-rendered pages with no scripts and no external assets, signed in
/// with a management token. A sign-in makes a session (a random id in an `HttpOnly`,
/// `SameSite=Strict` cookie, for 8 hours), kept in the store by the id's hash, so a restart or
/// another node behind the same address keeps the person signed in; every form carries the session's own
/// anti-forgery value; every change is made through the same backend as the API, so it is audited
/// with the token that signed in.
public final class Dashboard: Sendable {
    struct Session: Sendable {
        /// The hash of the cookie's id: the session's key in the store.
        var idHash: String
        var token: APIToken
        var csrf: String
        var expires: Int64
        /// The workspace revision running when the page is made (`3f9a1c2b7d4e (commit 1a2b3c4)`).
        var revision = ""
    }

    private let backend: any ManagementBackend
    /// True when the listener serves HTTPS: the cookie is then `Secure`.
    private let secure: Bool
    static let lifetime: Int64 = 8 * 3_600_000

    private let throttle: SignInThrottle

    init(backend: any ManagementBackend, secure: Bool, throttle: SignInThrottle) {
        self.throttle = throttle
        self.backend = backend
        self.secure = secure
    }

    public func register(on router: Router<HubRequestContext>) {
        router.get("/") { request, _ in try await self.page(request, role: .viewer) { session in try await self.overview(session) } }
        router.get("/login") { request, _ in self.html(Pages.login(error: nil)) }
        router.post("/login") { request, context in
            try await self.login(request, from: self.throttle.client(peer: context.clientAddress, forwardedFor: request.headers[.xForwardedFor]))
        }
        router.post("/logout") { request, _ in
            try await self.form(request, role: .viewer) { session, _, _ in
                try await self.backend.sessions.closeSession(idHash: session.idHash)
                return self.redirect("/login", cookie: "sb_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict")
            }
        }
        router.get("/integrations/:id") { request, context in
            try await self.page(request, role: .viewer) { session in try await self.integration(context.parameters.get("id") ?? "", session: session)
            }
        }
        router.post("/integrations/:id/pause") { request, context in try await self.pause(request, context, true) }
        router.post("/integrations/:id/resume") { request, context in try await self.pause(request, context, false) }
        router.get("/messages/:id") { request, context in
            try await self.page(request, role: .viewer) { session in try await self.message(context.parameters.get("id") ?? "", session: session) }
        }
        router.get("/dead-letters") { request, _ in
            try await self.page(request, role: .viewer) { session in try await self.deadLetters(request.uri.queryParameters, session: session) }
        }
        router.post("/dead-letters/replay") { request, _ in try await self.deadLetterAction(request, replay: true) }
        router.post("/dead-letters/discard") { request, _ in try await self.deadLetterAction(request, replay: false) }
        router.get("/audit") { request, _ in
            try await self.page(request, role: .viewer) { session in try await self.audit(request.uri.queryParameters, session: session) }
        }
        router.get("/nodes") { request, _ in
            try await self.page(request, role: .viewer) { session in Pages.nodes(try await self.backend.nodes(), session: session) }
        }
        router.get("/landscape") { request, _ in
            try await self.page(request, role: .viewer) { session in
                let (svg, checklist) = self.backend.landscape()
                return Pages.layout(
                    "Landscape", session: session,
                    body: "<div class=\"diagram\">\(svg)</div><h2>Integration strategy checklist</h2>\(checklist)")
            }
        }
    }

    // MARK: - Sessions

    /// Most sessions kept; signing in past it ends the one that expires first. Default 1,000.
    static let maxSessions = 1_000

    /// The request's session, when it has one that has not expired and whose token is still valid:
    /// the token is looked up on every request, so a revoked token's sessions end at once.
    /// Throws when the store cannot be read.
    private func session(_ request: Request) async throws -> Session? {
        guard let cookie = request.headers[.cookie] else { return nil }
        let id = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("sb_session=") }.map { String($0.dropFirst("sb_session=".count)) }
        guard let id, !id.isEmpty else { return nil }
        let idHash = APIToken.hash(of: id)
        guard let stored = try await backend.sessions.session(idHash: idHash, now: backend.now()) else { return nil }
        guard let token = await backend.currentToken(hash: stored.tokenHash) else {
            try await backend.sessions.closeSession(idHash: idHash)
            return nil
        }
        let revision = backend.revision()
        let commit = revision["commit"]?.text.prefix(7) ?? ""
        return Session(
            idHash: idHash, token: token, csrf: stored.csrf, expires: stored.expiresAt,
            revision: (revision["revision"]?.text ?? "") + (commit.isEmpty ? "" : " (commit \(commit))"))
    }

    private func login(_ request: Request, from address: String) async throws -> Response {
        if let seconds = throttle.wait(address) {
            var response = html(Pages.login(error: "Too many wrong tokens from this address; try again in \(seconds) s."), status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let form = try await Self.form(request)
        guard let token = form["token"].map({ $0.trimmingCharacters(in: .whitespaces) }), !token.isEmpty,
            let found = await backend.authenticate(token)
        else {
            throttle.failed(address, door: "dashboard")
            return html(Pages.login(error: "That token is not valid, or it was revoked."), status: .unauthorized)
        }
        throttle.succeeded(address)
        let id = Self.random()
        let now = backend.now()
        try await backend.sessions.openSession(
            DashboardSession(idHash: APIToken.hash(of: id), tokenHash: found.hash, csrf: Self.random(), expiresAt: now + Self.lifetime),
            now: now, keeping: Self.maxSessions)
        return redirect(
            "/", cookie: "sb_session=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Self.lifetime / 1000)\(secure ? "; Secure" : "")")
    }

    /// A page for a signed-in user with at least `role`; others go to the sign-in page.
    private func page(_ request: Request, role: APIToken.Role, _ render: (Session) async throws -> String) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/login") }
        guard session.token.role.allows(role) else { return notAllowed(session, needs: role) }
        return html(try await render(session))
    }

    /// A form post from a signed-in user with at least `role` and the session's anti-forgery
    /// value, its body at most `limit` bytes (default 64 KiB). `act` gets the fields by name (a
    /// field that repeats keeps its last value) and every `name=value` in order (the ids of a
    /// selection repeat `id`).
    private func form(
        _ request: Request, role: APIToken.Role, limit: Int = 64 << 10,
        _ act: (Session, [String: String], [(String, String)]) async throws -> Response
    ) async throws -> Response {
        guard let session = try await session(request) else { return redirect("/login") }
        var request = request
        let pairs = Self.pairs(String(buffer: try await request.collectBody(upTo: limit)))
        let form = Dictionary(pairs, uniquingKeysWith: { _, last in last })
        guard form["csrf"] == session.csrf else {
            return html(
                Pages.layout("Refused", session: session, body: "<p class=\"error\">The form is out of date; reload the page and try again.</p>"),
                status: .forbidden)
        }
        guard session.token.role.allows(role) else { return notAllowed(session, needs: role) }
        return try await act(session, form, pairs)
    }

    private func notAllowed(_ session: Session, needs role: APIToken.Role) -> Response {
        html(
            Pages.layout(
                "Not allowed", session: session,
                body: "<p class=\"error\">Your token is a \(session.token.role.rawValue); this needs \(role.rawValue).</p>"),
            status: .forbidden)
    }

    private func actor(_ session: Session) -> String { "token \(session.token.id) (\(session.token.name)) on the dashboard" }

    // MARK: - Pages

    private func overview(_ session: Session) async throws -> String {
        let now = backend.now()
        let integrations = try await backend.integrations()
        let activity = try await backend.activity(since: now - 3_600_000)
        let waiting = try await backend.waiting()
        return Pages.overview(integrations, activity: activity, waiting: waiting, now: now, session: session)
    }

    private func integration(_ id: String, session: Session) async throws -> String {
        guard let summary = try await backend.integrations().arrayValues.first(where: { $0["id"]?.text == id }) else {
            return Pages.layout("Not found", session: session, body: "<p class=\"error\">No integration '\(Pages.e(id))'.</p>")
        }
        let messages = try await backend.messages(MessageFilter(integration: id, limit: 50))
        return Pages.integration(summary, messages: messages, session: session)
    }

    private func message(_ id: String, session: Session) async throws -> String {
        guard let message = try await backend.message(id: id) else {
            return Pages.layout("Not found", session: session, body: "<p class=\"error\">No message with id \(Pages.e(id)).</p>")
        }
        return Pages.message(message, session: session)
    }

    /// Dead letters, newest first, of one integration (`?integration=`) and whose last error
    /// contains a text (`?error=`), with what the last replay or discard did (`?replayed=`, `?discarded=`).
    private func deadLetters(_ query: Hummingbird.Parameters, session: Session) async throws -> String {
        let integration = query["integration"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let error = query["error"].map(String.init) ?? ""
        let all = try await backend.messages(MessageFilter(integration: integration, states: [.dead], limit: 1_000))
        let shown = all.arrayValues.filter { error.isEmpty || ($0["last_error"]?.text ?? "").localizedCaseInsensitiveContains(error) }
        let integrations = try await backend.integrations().arrayValues.compactMap { $0["id"]?.text }
        var notice: String?
        for (action, verb) in [("replayed", "Replayed"), ("discarded", "Discarded")] {
            guard let ids = query[action[...]].map(String.init), !ids.isEmpty else { continue }
            let list = ids.split(separator: ",").map(String.init)
            notice =
                "\(verb) \(list.count) message\(list.count == 1 ? "" : "s")" + (action == "replayed" ? "; each will be delivered again" : "")
                + ": " + list.prefix(20).joined(separator: ", ") + (list.count > 20 ? ", …" : "")
            if list == ["none"] { notice = "Nothing was \(action): the messages selected are no longer dead letters." }
        }
        return Pages.deadLetters(
            .array(shown), session: session,
            filter: Pages.DeadLetterFilter(integration: integration, error: error, integrations: integrations, total: all.arrayValues.count),
            notice: notice)
    }

    /// The audit log, newest first, filtered by integration, message, actor and kind; without the
    /// lease records (one per claim) unless asked for with `kind=leased` or `all=1`.
    private func audit(_ query: Hummingbird.Parameters, session: Session) async throws -> String {
        func value(_ name: String) -> String? { query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let kind = value("kind").flatMap(AuditRecord.Kind.init(rawValue:))
        let everything = value("all") == "1"
        let kinds: [AuditRecord.Kind]? =
            kind.map { [$0] } ?? (everything ? nil : AuditRecord.Kind.allCases.filter { $0 != .leased })
        var records = try await backend.audit(
            AuditFilter(messageID: value("message"), integration: value("integration"), kinds: kinds, limit: 500)
        ).arrayValues
        if let actor = value("actor") { records = records.filter { ($0["actor"]?.text ?? "").localizedCaseInsensitiveContains(actor) } }
        let filter = Pages.AuditFilterForm(
            integration: value("integration") ?? "", message: value("message") ?? "", actor: value("actor") ?? "", kind: value("kind") ?? "",
            all: everything)
        return Pages.audit(.array(Array(records.prefix(200))), session: session, filter: filter)
    }

    private func pause(_ request: Request, _ context: HubRequestContext, _ paused: Bool) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        return try await form(request, role: .operator) { session, _, _ in
            _ = try await backend.setPaused(id, paused, actor: actor(session))
            return redirect("/integrations/\(id)")
        }
    }

    /// Replays or discards the dead letters a form names (`id`, once per selected message), then
    /// shows the list again with what was done.
    private func deadLetterAction(_ request: Request, replay: Bool) async throws -> Response {
        try await form(request, role: .operator, limit: 1 << 20) { session, form, pairs in
            let ids = pairs.filter { $0.0 == "id" && !$0.1.isEmpty }.map(\.1)
            guard !ids.isEmpty else { return redirect("/dead-letters") }
            let filter = MessageFilter(states: [.dead], limit: ids.count)
            let done =
                if replay {
                    try await backend.replay(filter, ids: ids, actor: actor(session))
                } else {
                    try await backend.discard(filter, ids: ids, reason: form["reason"].flatMap { $0.isEmpty ? nil : $0 }, actor: actor(session))
                }
            let list = done.isEmpty ? "none" : done.joined(separator: ",")
            return redirect("/dead-letters?\(replay ? "replayed" : "discarded")=\(list.percentEncoded)")
        }
    }

    // MARK: - HTTP

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = SecurityHeaders.fields
        headers[.contentType] = "text/html; charset=utf-8"
        // Inline styles only: nothing loads from elsewhere, and no script runs.
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers = SecurityHeaders.fields
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// An `application/x-www-form-urlencoded` body; a field that repeats keeps its last value.
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        return Dictionary(pairs(String(buffer: buffer)), uniquingKeysWith: { _, last in last })
    }

    /// Every `name=value` of a form body, in order, repeated names included.
    static func pairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            guard let name = parts.first else { return nil }
            return (name, parts.count > 1 ? parts[1] : "")
        }
    }

    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }.hexDigits
    }
}

extension JSONValue {
    var arrayValues: [JSONValue] { if case .array(let items) = self { items } else { [] } }
}
