import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// Dashboard sessions kept in the store, as a person signed in sees them: behind a load balancer
/// that sends them to either node, and across a node's restart.
@Suite("Dashboard sessions shared by nodes")
struct SharedSessionTests {
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// GET or POST on a node; returns the status, the `Location` and the session cookie it sets.
    static func send(port: Int, _ path: String, cookie: String? = nil, form: String? = nil, bearer: String? = nil, json: String? = nil) async throws -> (
        status: UInt, location: String?, cookie: String?, body: String
    ) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let json {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let form {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 4 << 20))
        let cookie = response.headers.first(name: "Set-Cookie").flatMap { $0.split(separator: ";").first.map(String.init) }
        return (response.status.code, response.headers.first(name: "Location"), cookie, body)
    }

    @Test("signed in on one node, a person stays signed in on the other and after a restart; signing out on either ends it on both; the nodes page and a message in flight name the nodes")
    func sessionsAcrossNodes() async throws {
        let database = try await ThrowawayPostgres.database()
        let directory = try TemporaryDirectory()
        let sink = Sink()
        // Slow enough that a message is seen in flight.
        sink.setBehaviour { _, _ in .init(status: 200, delay: .seconds(3)) }
        let sinkTask = Task { try await sink.application(port: 0).runService() }
        defer { directory.remove(); sinkTask.cancel() }
        try MultiNodeProcessTests().workspace(directory, database: database, sinkPort: try await sink.port())
        let created = try await Binary.run(["token", "create", "-w", directory.path, "--role", "operator", "--name", "on-call"])
        let token = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("sbt_") }.map(String.init), "\(created)")

        let a = try await RunningBinary(workspace: directory.url, extraArguments: ["--node", "node-a"])
        let b = try await RunningBinary(workspace: directory.url, extraArguments: ["--node", "node-b"])
        let signedIn = try await Self.send(port: a.port, "/login", form: "token=\(token)")
        let cookie = try #require(signedIn.cookie, "signing in set no cookie: \(signedIn.status)")
        #expect(try await Self.send(port: b.port, "/", cookie: cookie).status == 200, "the other node knows the session")
        let nodes = try await Self.send(port: b.port, "/nodes", cookie: cookie)
        #expect(nodes.status == 200 && nodes.body.contains("<td>node-a</td>") && nodes.body.contains("<td>node-b</td>"), "\(nodes.body)")

        // A message in flight names the node delivering it, in the API and on its page.
        let posted = try await Self.send(port: a.port, "/hooks/orders", json: #"{"n": 1, "k": "k1"}"#)
        let id = try #require(HubHarness.id(posted.body), "\(posted.status) \(posted.body)")
        let holder = Locked<String?>(nil)
        let leased = await eventually {
            let shown = try? await Self.send(port: b.port, "/api/v1/messages/\(id)", bearer: token)
            let node = shown.flatMap { try? JSONValue(json: Array($0.body.utf8)) }?["leased_by"]?.text
            holder.withLock { $0 = node }
            return node != nil
        }
        let node = holder.withLock { $0 } ?? ""
        #expect(leased && ["node-a", "node-b"].contains(node), "leased_by \(node)")
        let messagePage = try await Self.send(port: a.port, "/messages/\(id)", cookie: cookie)
        #expect(messagePage.body.contains("Being delivered by node <a href=\"/nodes\">\(node)</a>"), "\(messagePage.body)")

        // The store keeps the id's hash, never the cookie's value.
        let sessionID = String(cookie.dropFirst("sb_session=".count))
        let cluster = try await ThrowawayPostgres.cluster()
        let name = String(database.split(separator: "?").first?.split(separator: "/").last ?? "")
        let stored = try await cluster.sql("SELECT id_hash FROM dashboard_sessions", database: name)
        #expect(!stored.isEmpty && !stored.contains(sessionID), "\(stored)")

        #expect(await a.terminate() == 0)
        let again = try await RunningBinary(workspace: directory.url, extraArguments: ["--node", "node-a"])
        let page = try await Self.send(port: again.port, "/integrations/orders", cookie: cookie)
        #expect(page.status == 200, "a restarted node knows the session: \(page.status) \(page.location ?? "")")

        // Signing out on the restarted node ends the session on the other as well.
        let csrf = try #require(
            page.body.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression).map { String(page.body[$0].split(separator: "\"")[3]) })
        let out = try await Self.send(port: again.port, "/logout", cookie: cookie, form: "csrf=\(csrf)")
        #expect(out.status == 303 && out.location == "/login")
        let after = try await Self.send(port: b.port, "/", cookie: cookie)
        #expect(after.status == 303 && after.location == "/login", "\(after.status)")
        #expect(await again.terminate() == 0)
        #expect(await b.terminate() == 0)
    }

    @Test("on SQLite, a session outlives the hub's restart")
    func sessionAcrossRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Binary.run(["init", directory.path])
        let created = try await Binary.run(["token", "create", "-w", directory.path, "--role", "viewer", "--name", "on-call"])
        let token = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("sbt_") }.map(String.init), "\(created)")
        let hub = try await RunningBinary(workspace: directory.url)
        let cookie = try #require(try await Self.send(port: hub.port, "/login", form: "token=\(token)").cookie)
        #expect(await hub.terminate() == 0)
        let again = try await RunningBinary(workspace: directory.url)
        #expect(try await Self.send(port: again.port, "/", cookie: cookie).status == 200)
        #expect(try await Self.send(port: again.port, "/", cookie: "sb_session=0123").status == 303, "an unknown session signs in again")
        #expect(await again.terminate() == 0)
    }
}
