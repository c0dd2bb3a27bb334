import Foundation
import SwitchboardEngine
import SwitchboardTestHarness
import Testing

@testable import SwitchboardModel

@Suite("Bad inbound requests get a clear 4xx and store nothing", .serialized)
struct InboundValidationTests {
    static let secret = "shop-secret"

    func harness() async throws -> HubHarness {
        try await HubHarness(
            integrations: [
                HubHarness.integration("orders", delivery: "idempotency_key: { path: $.order_id }"),
                HubHarness.integration("signed", auth: #"{ kind: hmac, header: X-Signature, secret: "${env:SHOP_KEY}" }"#),
                HubHarness.integration("dataverse", auth: #"{ kind: query, parameter: code, secret: "${env:SHOP_KEY}" }"#),
                HubHarness.integration(
                    "shopify", auth: #"{ kind: hmac, header: X-Shopify-Hmac-Sha256, encoding: base64, secret: "${env:SHOP_KEY}" }"#),
                HubHarness.integration("stripe", auth: #"{ kind: stripe, secret: "${env:SHOP_KEY}" }"#),
                HubHarness.integration("open", auth: "{ kind: none }"),
                HubHarness.integration("anything", auth: "{ kind: none }, body: any"),
            ], server: ", max_body_bytes: 1024")
    }

    func error(_ body: String) -> (code: String, message: String)? {
        guard let value = try? JSONValue(json: Array(body.utf8)), let error = value["error"] else { return nil }
        return (error["code"]?.text ?? "", error["message"]?.text ?? "")
    }

    @Test("each kind of bad input is answered with its status and a sentence, and nothing is enqueued")
    func badInputs() async throws {
        let harness = try await harness()
        let cases: [(path: String, body: String, headers: [(String, String)], status: Int, code: String, message: String)] = [
            ("/hooks/orders", #"{"order_id": 1"#, [("X-Key", Self.secret)], 400, "invalid_json", "the body is not valid JSON"),
            ("/hooks/orders", #"{"id": 1}"#, [("X-Key", Self.secret)], 400, "missing_key", "the idempotency key $.order_id is missing from the body"),
            (
                "/hooks/orders", #"{"order_id": "\#(String(repeating: "x", count: 2_000))"}"#, [("X-Key", Self.secret)], 413, "payload_too_large",
                "the body is larger than the limit of 1024 bytes"
            ),
            ("/hooks/orders", #"{"order_id": 1}"#, [], 401, "unauthorized", "authentication is required: header X-Key is missing"),
            ("/hooks/orders", #"{"order_id": 1}"#, [("X-Key", "guess")], 401, "unauthorized", "authentication failed: header X-Key does not match"),
            (
                "/hooks/signed", #"{"id": 1}"#, [("X-Signature", "sha256=00ff")], 401, "unauthorized",
                "authentication failed: header X-Signature does not match"
            ),
            ("/hooks/dataverse?code=guess", #"{"id": 1}"#, [], 401, "unauthorized", "authentication failed: query parameter code does not match"),
            ("/hooks/nothing", #"{"id": 1}"#, [], 404, "not_found", "no integration receives at /hooks/nothing"),
            (
                "/hooks/open", #"[{"id": 1}]"#, [], 400, "invalid_payload",
                "the body must be a JSON object, not an array; set source.webhook.body: any"
            ),
            ("/hooks/open", #""paid""#, [], 400, "invalid_payload", "the body must be a JSON object, not a string"),
            ("/hooks/open", "42", [], 400, "invalid_payload", "the body must be a JSON object, not a number"),
            ("/hooks/open", "null", [], 400, "invalid_payload", "the body must be a JSON object, not null"),
            // A number beyond a Double's range would become infinity (and then null in a body).
            ("/hooks/open", #"{"total": 1e400}"#, [], 400, "invalid_json", "the body is not valid JSON: number 1e400 is out of range"),
            ("/hooks/open", #"{"total": -1e400}"#, [], 400, "invalid_json", "the body is not valid JSON: number -1e400 is out of range"),
        ]
        for item in cases {
            let answer = try await harness.post(item.path, item.body, headers: item.headers)
            #expect(answer.status == item.status, "\(item.path) \(item.body.prefix(40))")
            let parsed = error(answer.body)
            #expect(parsed?.code == item.code, "\(answer.body)")
            #expect(parsed?.message.hasPrefix(item.message) == true, "\(answer.body)")
            #expect(!answer.body.contains(Self.secret))
        }
        let unknownGet = try await harness.get("/nothing")
        #expect(unknownGet.status == 404)
        #expect(error(unknownGet.body)?.code == "not_found")
        #expect(try await harness.hub.store.messages(matching: MessageFilter()).isEmpty)
        #expect(try await harness.hub.store.audit(matching: AuditFilter()).isEmpty)
        try await harness.stop()
    }

    @Test("correct HMAC signatures and query keys are accepted")
    func goodCredentials() async throws {
        let harness = try await harness()
        let body = #"{"id": 7}"#
        let signature = InboundAuthenticator.signature(of: Array(body.utf8), secret: Self.secret)
        #expect(try await harness.post("/hooks/signed", body, headers: [("X-Signature", "sha256=\(signature)")]).status == 202)
        #expect(try await harness.post("/hooks/dataverse?code=\(Self.secret)", body, headers: []).status == 202)
        #expect(try await harness.post("/hooks/orders", #"{"order_id": 7}"#).status == 202)
        let base64 = InboundAuthenticator.signature(of: Array(body.utf8), secret: Self.secret, encoding: .base64)
        #expect(try await harness.post("/hooks/shopify", body, headers: [("X-Shopify-Hmac-Sha256", base64)]).status == 202)
        let now = Int64(Date().timeIntervalSince1970)
        let v1 = InboundAuthenticator.signature(of: Array("\(now).\(body)".utf8), secret: Self.secret)
        #expect(try await harness.post("/hooks/stripe", body, headers: [("Stripe-Signature", "t=\(now),v1=\(v1)")]).status == 202)
        // An integration that says so accepts any JSON document.
        #expect(try await harness.post("/hooks/anything", #"[1, 2]"#, headers: []).status == 202)
        #expect(try await harness.hub.store.messages(matching: MessageFilter()).count == 6)
        try await harness.stop()
    }

    @Test("a Stripe signature from an hour ago is refused as a replay, with a sentence, and nothing is stored")
    func replayedStripeSignature() async throws {
        let harness = try await harness()
        let body = #"{"id": "evt_1"}"#
        let then = Int64(Date().timeIntervalSince1970) - 3_600
        let v1 = InboundAuthenticator.signature(of: Array("\(then).\(body)".utf8), secret: Self.secret)
        let answer = try await harness.post("/hooks/stripe", body, headers: [("Stripe-Signature", "t=\(then),v1=\(v1)")])
        #expect(answer.status == 401)
        #expect(
            error(answer.body)?.message
                == "authentication failed: the timestamp in header Stripe-Signature is more than 5 min from the hub's clock, as a replayed request's would be"
        )
        #expect(try await harness.hub.store.messages(matching: MessageFilter()).isEmpty)
        try await harness.stop()
    }
}
