import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardEngine
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("Dashboard sessions")
struct DashboardSessionTests {
    struct Page {
        var status: UInt
        var location: String?
        var cookie: String?
        var body: String
    }

    static func send(
        _ harness: HubHarness, _ client: HTTPClient, _ method: HTTPMethod, _ path: String, cookie: String?, form: String? = nil
    )
        async throws -> Page
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)\(path)")
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 4 << 20))
        let cookie = response.headers.first(name: "Set-Cookie").flatMap { $0.split(separator: ";").first.map(String.init) }
        return Page(status: response.status.code, location: response.headers.first(name: "Location"), cookie: cookie, body: body)
    }

    @Test("revoking a token ends its dashboard sessions at once: pages send it to sign in, and a form it had open cannot pause")
    func revokedTokenEndsSessions() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let (token, record) = APIToken.generate(name: "on-call", role: .operator, now: 1)
            try await harness.hub.store.insertToken(record)
            let signedIn = try await Self.send(harness, client, .POST, "/login", cookie: nil, form: "token=\(token)")
            let cookie = try #require(signedIn.cookie)
            #expect(try await Self.send(harness, client, .GET, "/", cookie: cookie).status == 200)
            let page = try await Self.send(harness, client, .GET, "/integrations/orders", cookie: cookie)
            let csrf = try #require(
                page.body.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression).map { match in
                    String(page.body[match].split(separator: "\"")[3])
                })
            #expect(try await harness.hub.store.revokeToken(id: record.id, now: 2))
            let after = try await Self.send(harness, client, .GET, "/", cookie: cookie)
            #expect(after.status == 303 && after.location == "/login", "\(after.status) \(after.location ?? "")")
            let pause = try await Self.send(harness, client, .POST, "/integrations/orders/pause", cookie: cookie, form: "csrf=\(csrf)")
            #expect(pause.status == 303 && pause.location == "/login")
            #expect(try await harness.hub.store.pausedIntegrations().isEmpty)
        } catch {
            Issue.record("\(error)")
        }
        try await client.shutdown()
        try await harness.stop()
    }

    @Test("the landscape page has one heading of its own, and every link on it is a page the hub serves")
    func landscapeLinks() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders"), HubHarness.integration("invoices")])
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let (token, record) = APIToken.generate(name: "on-call", role: .viewer, now: 1)
            try await harness.hub.store.insertToken(record)
            let cookie = try #require(try await Self.send(harness, client, .POST, "/login", cookie: nil, form: "token=\(token)").cookie)
            let page = try await Self.send(harness, client, .GET, "/landscape", cookie: cookie)
            #expect(page.status == 200)
            #expect(page.body.components(separatedBy: ">Landscape</h").count == 2, "one heading says Landscape")
            let links = page.body.matches(of: try Regex(##"href="(/[^"#]*)""##)).compactMap { $0.output[1].substring.map(String.init) }
            #expect(links.contains("/integrations/orders") && links.contains("/integrations/invoices"), "\(links)")
            for link in Set(links) where link != "/logout" {
                let answer = try await Self.send(harness, client, .GET, link, cookie: cookie)
                #expect(answer.status == 200, "\(link) answered \(answer.status)")
            }
        } catch {
            Issue.record("\(error)")
        }
        try await client.shutdown()
        try await harness.stop()
    }
}
