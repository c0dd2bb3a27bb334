import SwitchboardEngine
import Testing

/// How an attempt's request is written into the audit log (issue 14): credentials never appear.
@Suite("An attempt's request in the audit log")
struct RecordedRequestTests {
    @Test("credential headers and query parameters are redacted; the body is kept, cut at the detail limit")
    func redacted() {
        let request = OutboundRequest(
            method: "POST", url: "https://erp.example/orders?api_key=s3cret&code=abc&page=2", path: "/orders",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer t0ken"), ("X-Api-Key", "k3y"), ("X-Trace", "1")],
            body: Array(#"{"id":1}"#.utf8))
        let text = RecordedRequest.text(request)
        #expect(
            text == """
                POST https://erp.example/orders?api_key=[redacted]&code=[redacted]&page=2
                Content-Type: application/json
                Authorization: [redacted]
                X-Api-Key: [redacted]
                X-Trace: 1

                {"id":1}
                """)
        let long = OutboundRequest(
            method: "PUT", url: "https://erp.example/x", path: "/x", headers: [], body: Array(repeating: UInt8(ascii: "a"), count: 5_000))
        let cut = RecordedRequest.text(long)
        #expect(cut.hasSuffix("a…"))
        #expect(cut.count == "PUT https://erp.example/x\n\n".count + AuditRecord.detailLimit + 1)
        let binary = OutboundRequest(method: "PUT", url: "https://erp.example/x", path: "/x", headers: [], body: [0xff, 0xfe, 0x00])
        #expect(RecordedRequest.text(binary).hasSuffix("\n(3 bytes, not text)"))
    }
}
