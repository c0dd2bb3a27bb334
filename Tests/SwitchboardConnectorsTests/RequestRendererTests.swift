import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
import SwitchboardTesting
import Testing

@Suite("The HTTP connector's request rendering")
struct RequestRendererTests {
    let order: JSONValue = try! JSONValue(
        json: Array(
            """
            {"id": 7, "status": "paid", "customer": {"first": "Ada", "tier": "gold"}, "lines": [{"sku": "A/1"}]}
            """.utf8))

    func path(_ text: String) -> JSONPath { JSONPath(text)! }

    @Test("the request renders placeholders, encodes the path, merges headers and marks the message id")
    func render() throws {
        let template = HTTPRequestTemplate(
            method: "PUT", path: "/items/{$.lines[0].sku}", headers: ["X-Tier": "{$.customer.tier}"], body: path("$.customer"))
        let renderer = RequestRenderer(template: template, baseURL: "http://erp.local/", connectionHeaders: ["Authorization": "Bearer t"])
        let request = try renderer.render(order, messageID: "M1")
        #expect(request.url == "http://erp.local/items/A%2F1")
        #expect(request.path == "/items/A%2F1")
        #expect(request.header("authorization") == "Bearer t")
        #expect(request.header("X-Tier") == "gold")
        #expect(request.header("X-Switchboard-Message-Id") == "M1")
        #expect(try JSONValue(json: request.body) == order["customer"])
        let missing = RequestRenderer(
            template: HTTPRequestTemplate(method: "POST", path: "/x/{$.nope}", headers: [:], body: path("$")), baseURL: "http://e",
            connectionHeaders: [:])
        #expect(throws: StepError("placeholder {$.nope} has no value in the message")) { try missing.render(order, messageID: "M1") }
    }

    @Test("a message value can never set Host, a hop-by-hop or credential header, forge the message id, or replace a connection header")
    func messageCannotSteerHeaders() throws {
        let hostile: JSONValue = .object([
            "id": .int(1), "host": .string("evil.example"), "token": .string("Bearer stolen"), "mid": .string("FORGED"), "te": .string("chunked"),
        ])
        let template = HTTPRequestTemplate(
            method: "POST", path: "/orders",
            headers: [
                "Host": "{$.host}", "Authorization": "{$.token}", "X-Switchboard-Message-Id": "{$.mid}", "Transfer-Encoding": "{$.te}",
                "X-Tenant": "{$.host}", "X-Order": "{$.id}",
            ], body: path("$"))
        let renderer = RequestRenderer(template: template, baseURL: "http://erp.local", connectionHeaders: ["X-Tenant": "contoso"])
        let request = try renderer.render(hostile, messageID: "M1")
        #expect(request.header("Host") == nil && request.header("Transfer-Encoding") == nil && request.header("Authorization") == nil)
        #expect(request.headers.filter { $0.0.lowercased() == "x-switchboard-message-id" }.map(\.1) == ["M1"])
        #expect(request.headers.filter { $0.0.lowercased() == "x-tenant" }.map(\.1) == ["contoso"])
        #expect(request.header("X-Order") == "1")
    }

    @Test("validate refuses a target header the client, the hub or the connection sets, and any credential, placeholder or not")
    func refusedTargetHeaders() throws {
        let cases: [(header: String, value: String, sentence: String)] = [
            ("Host", "{$.host}", "is set by the HTTP client; a target cannot set it"),
            ("Transfer-Encoding", "chunked", "is set by the HTTP client; a target cannot set it"),
            ("X-Switchboard-Message-Id", "{$.id}", "is set by the hub to the message's id; a target cannot set it"),
            ("Authorization", "Bearer INLINE-hunter2-{$.id}", "holds a credential, which a target cannot set (not even from the message)"),
            ("X-Tenant", "{$.tenant}", "is set by the system's connection; a target cannot replace it"),
        ]
        for item in cases {
            var fixture = WorkspaceFixture()
            fixture.systems = [
                WorkspaceFixture.system("shop", kind: "http"),
                WorkspaceFixture.system("erp", kind: "http", connection: ["base_url: http://127.0.0.1:9", "headers: { X-Tenant: contoso }"]),
            ]
            fixture.integrations["orders"] = WorkspaceFixture.integration(
                "orders", source: WorkspaceFixture.webhook(system: "shop", path: "/hooks/orders"),
                target: #"{ system: erp, http: { path: /orders, headers: { "\#(item.header)": "\#(item.value)" } } }"#)
            let directory = try fixture.write()
            defer { directory.remove() }
            do {
                _ = try Workspace.load(directory: directory.url, registry: .standard)
                Issue.record("\(item.header) was accepted")
            } catch {
                #expect(error.description.contains("target.http.headers.\(item.header) \(item.sentence)"), "\(error.description)")
                #expect(!error.description.contains("hunter2"))
            }
        }
    }
}
