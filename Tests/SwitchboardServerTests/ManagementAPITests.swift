import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardEngine
import SwitchboardModel
import SwitchboardServer
import SwitchboardTestHarness
import Testing

@Suite("Management API under /api/v1")
struct ManagementAPITests {
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var json: JSONValue
    }

    static func call(_ harness: HubHarness, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(
            status: Int(response.status.code), headers: response.headers, json: (try? JSONValue(json: Array(bytes.readableBytesView))) ?? .null)
    }

    static func token(_ harness: HubHarness, _ role: APIToken.Role, name: String) async throws -> (token: String, id: String) {
        let (token, record) = APIToken.generate(name: name, role: role, now: 1)
        try await harness.hub.store.insertToken(record)
        return (token, record.id)
    }

    @Test("tokens and roles: none is 401, a viewer reads but may not replay (403), an operator replays a dead letter and the audit names the token")
    func rolesAndReplay() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        harness.sink.setBehaviour { _, _ in .init(status: 400, body: #"{"error":"missing field"}"#) }
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 1}"#).body))
        #expect(try await harness.waitForState(id, .dead))
        let viewer = try await Self.token(harness, .viewer, name: "Grafana")
        let operatorToken = try await Self.token(harness, .operator, name: "on-call")

        let anonymous = try await Self.call(harness, .GET, "/api/v1/integrations")
        #expect(anonymous.status == 401 && anonymous.json["error"]?["code"]?.text == "unauthorized")
        #expect(try await Self.call(harness, .GET, "/api/v1/integrations", token: "sbt_wrong").status == 401)
        let integrations = try await Self.call(harness, .GET, "/api/v1/integrations", token: viewer.token)
        #expect(integrations.status == 200)
        #expect(integrations.json.arrayItems.first?["messages"]?["dead"]?.text == "1")
        #expect(
            integrations.headers.first(name: "X-Content-Type-Options") == "nosniff" && integrations.headers.first(name: "Cache-Control") == "no-store"
        )
        let dead = try await Self.call(harness, .GET, "/api/v1/dead-letters?integration=orders", token: viewer.token)
        #expect(dead.json.arrayItems.map { $0["id"]?.text } == [id])
        let detail = try await Self.call(harness, .GET, "/api/v1/messages/\(id)", token: viewer.token)
        #expect(
            detail.json["payload"]?.text == #"{"id": 1}"#
                && detail.json["history"]?.arrayItems.contains { $0["event"]?.text == "dead" && $0["status"]?.text == "400" } == true)

        let refused = try await Self.call(harness, .POST, "/api/v1/dead-letters/replay", token: viewer.token, body: #"{"ids": ["\#(id)"]}"#)
        #expect(
            refused.status == 403
                && refused.json["error"]?["message"]?.text == "token \(viewer.id) is a viewer; POST /api/v1/dead-letters/replay needs operator")
        let vague = try await Self.call(harness, .POST, "/api/v1/dead-letters/replay", token: operatorToken.token, body: #"{}"#)
        #expect(vague.status == 400)
        harness.sink.setBehaviour { _, _ in .init(status: 201) }
        let replayed = try await Self.call(harness, .POST, "/api/v1/dead-letters/replay", token: operatorToken.token, body: #"{"ids": ["\#(id)"]}"#)
        #expect(replayed.status == 200 && replayed.json["replayed"]?.arrayItems.map(\.text) == [id])
        #expect(try await harness.waitForState(id, .delivered))
        let audit = try await Self.call(harness, .GET, "/api/v1/audit?message=\(id)", token: viewer.token)
        #expect(audit.json.arrayItems.contains { $0["event"]?.text == "replayed" && $0["actor"]?.text == "token \(operatorToken.id) (on-call)" })
        // A revoked token is refused from then on.
        _ = try await harness.hub.store.revokeToken(id: viewer.id, now: 2)
        #expect(try await Self.call(harness, .GET, "/api/v1/integrations", token: viewer.token).status == 401)
        try await harness.stop()
    }

    @Test("a paused integration accepts and stores but does not deliver; resumed, it delivers; both are audited with who did it")
    func pauseAndResume() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        let admin = try await Self.token(harness, .admin, name: "platform team")
        let paused = try await Self.call(harness, .POST, "/api/v1/integrations/orders/pause", token: admin.token)
        #expect(paused.status == 200 && paused.json["state"]?.text == "paused")
        #expect(try await Self.call(harness, .POST, "/api/v1/integrations/nowhere/pause", token: admin.token).status == 404)
        let id = try #require(HubHarness.id(try await harness.post("/hooks/orders", #"{"id": 7}"#).body))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await harness.message(id)?.state == .ready)
        #expect(harness.sink.received.isEmpty)
        let listed = try await Self.call(harness, .GET, "/api/v1/integrations", token: admin.token)
        #expect(listed.json.arrayItems.first?["state"]?.text == "paused")
        #expect(listed.json.arrayItems.first?["policy"]?["max_attempts"]?.text == "10")
        #expect(try await Self.call(harness, .GET, "/api/v1/audit?since=yesterday", token: admin.token).status == 400)
        let recent = try await Self.call(
            harness, .GET, "/api/v1/audit?since=\(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)", token: admin.token)
        #expect(recent.status == 200 && recent.json.arrayItems.isEmpty)
        #expect(try await Self.call(harness, .POST, "/api/v1/integrations/orders/resume", token: admin.token).status == 200)
        #expect(try await harness.waitForState(id, .delivered))
        let audit = try await Self.call(harness, .GET, "/api/v1/audit?integration=orders", token: admin.token)
        let events = audit.json.arrayItems.filter { ["paused", "resumed"].contains($0["event"]?.text ?? "") }
        #expect(events.count == 2 && events.allSatisfy { $0["actor"]?.text == "token \(admin.id) (platform team)" })
        try await harness.stop()
    }

    @Test("the OpenAPI document describes exactly the routes the hub answers, each with its role")
    func openAPIInStep() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        let admin = try await Self.token(harness, .admin, name: "test")
        let document = try await Self.call(harness, .GET, "/api/v1/openapi.json")
        #expect(document.status == 200 && document.json["openapi"]?.text == "3.0.3")
        guard case .object(let paths)? = document.json["paths"] else { Issue.record("no paths"); return }
        var described = 0
        for (path, methods) in paths {
            guard case .object(let operations) = methods else { continue }
            for (method, operation) in operations {
                described += 1
                let concrete = path.replacingOccurrences(of: "{id}", with: "orders")
                guard case .object(let responses)? = operation["responses"] else {
                    Issue.record("\(method) \(path) lists no responses")
                    continue
                }
                let answer = try await Self.call(
                    harness, HTTPMethod(rawValue: method.uppercased()), concrete, token: admin.token, body: method == "post" ? #"{"ids": []}"# : nil)
                // Every described route exists: anything but the router's own 404 for an unknown endpoint.
                #expect(answer.json["error"]?["message"]?.text.hasPrefix("no endpoint at") != true, "\(method) \(path) is described but not served")
                // and answers only with statuses the document lists for it, with a token and without one.
                #expect(responses[String(answer.status)] != nil, "\(method) \(path) answered \(answer.status), which the document does not list")
                let anonymous = try await Self.call(
                    harness, HTTPMethod(rawValue: method.uppercased()), concrete, body: method == "post" ? #"{"ids": []}"# : nil)
                #expect(
                    responses[String(anonymous.status)] != nil,
                    "\(method) \(path) answered \(anonymous.status) without a token, which the document does not list")
            }
        }
        #expect(described == ManagementAPI.routes.count)
        #expect(
            try await Self.call(harness, .GET, "/api/v1/nothing-here", token: admin.token).json["error"]?["message"]?.text.hasPrefix("no endpoint at")
                == true)
        // Another method on a path the API serves is 405 with the methods it takes, not 404.
        let wrongMethod = try await Self.call(harness, .DELETE, "/api/v1/messages", token: admin.token)
        #expect(wrongMethod.status == 405 && wrongMethod.headers.first(name: "Allow") == "GET")
        #expect(wrongMethod.json["error"]?["message"]?.text == "/api/v1/messages takes GET, not DELETE")
        // A trailing slash is no endpoint, not the list.
        #expect(try await Self.call(harness, .GET, "/api/v1/messages/", token: admin.token).status == 404)
        // Lists are arrays in the document, limits bounded, bodies declared.
        #expect(paths["/api/v1/messages"]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"]?["type"] == .string("array"))
        let limit = paths["/api/v1/messages"]?["get"]?["parameters"]?.arrayItems.first { $0["name"] == .string("limit") }
        #expect(limit?["schema"]?["maximum"] == .int(10_000) && limit?["schema"]?["minimum"] == .int(1))
        #expect(paths["/api/v1/dead-letters/replay"]?["post"]?["requestBody"]?["required"] == .bool(true))
        try await harness.stop()
    }

    @Test("a replay or discard body whose fields are not of their types is refused, never read as 'all'")
    func strictSelection() async throws {
        let harness = try await HubHarness(integrations: [HubHarness.integration("orders")])
        let admin = try await Self.token(harness, .admin, name: "test")
        let cases = [
            (#"{"ids": 5, "all": true}"#, "ids must be an array of message ids, not a number"),
            (#"{"ids": [1], "all": true}"#, "ids must hold message ids (strings), not a number"),
            (#"{"all": "yes"}"#, "all must be true or false, not a string"),
            (#"{"all": true, "integration": 7}"#, "integration must be a string, not a number"),
            (#"[]"#, "the body must be a JSON object, not an array"),
            (#"{}"#, "say which dead letters"),
        ]
        for (body, message) in cases {
            let answer = try await Self.call(harness, .POST, "/api/v1/dead-letters/replay", token: admin.token, body: body)
            #expect(answer.status == 400, "\(body)")
            #expect(answer.json["error"]?["message"]?.text.hasPrefix(message) == true, "\(body): \(answer.json)")
        }
        let since = try await Self.call(harness, .GET, "/api/v1/audit?since=-1", token: admin.token)
        #expect(
            since.status == 400 && since.json["error"]?["message"]?.text == "since must be epoch milliseconds from 0 to 253402300799999, not '-1'")
        let state = try await Self.call(harness, .GET, "/api/v1/messages?state=", token: admin.token)
        #expect(state.status == 400)
        try await harness.stop()
    }
}
