import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardModel
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
}
