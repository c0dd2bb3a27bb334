import SwitchboardConnectors
import SwitchboardEngine
import Testing

@Suite("Dataverse errors are classified by their code, not only their status")
struct DataverseErrorsTests {
    static let upsert = OutboundRequest(method: "PATCH", url: "https://x/api/data/v9.2/accounts(accountnumber='A')", path: "", headers: [], body: [])
    static let createOnly = OutboundRequest(
        method: "PATCH", url: "https://x/api/data/v9.2/accounts(accountnumber='A')", path: "", headers: [("If-None-Match", "*")], body: [])

    static func body(_ code: String, _ message: String) -> String { #"{"error":{"code":"\#(code)","message":"\#(message)"}}"# }

    @Test("races, busy servers and deadlocks retry; validation errors and missing records do not")
    func classification() {
        let duplicate = Self.body("", "A record with matching key values already exists.")
        #expect(DataverseErrors.isTransient(status: 412, body: duplicate, request: Self.upsert))
        #expect(!DataverseErrors.isTransient(status: 412, body: duplicate, request: Self.createOnly))
        #expect(DataverseErrors.isTransient(status: 400, body: Self.body("0x8005F103", "Server busy"), request: Self.upsert))
        #expect(
            DataverseErrors.isTransient(
                status: 400, body: Self.body("0x80044150", "Generic SQL error. Sql Number: 1205, deadlock victim"), request: Self.upsert))
        #expect(
            !DataverseErrors.isTransient(
                status: 400, body: Self.body("0x80060888", "Cannot convert the literal 'x' to the expected type 'Edm.Decimal'."), request: Self.upsert
            ))
        #expect(!DataverseErrors.isTransient(status: 404, body: Self.body("0x80040217", "contact With Id = 1 Does Not Exist"), request: Self.upsert))
        #expect(
            !DataverseErrors.isTransient(
                status: 412, body: Self.body("0x80060882", "The version of the existing record doesn't match the RowVersion property provided."),
                request: Self.upsert))
        // A transient answer is retried by the engine like a 5xx.
        #expect(OutcomeClassifier.classify(.transient(status: 412, retryAfter: nil, body: duplicate), now: 0) == .retryable(notBefore: nil))
    }
}
