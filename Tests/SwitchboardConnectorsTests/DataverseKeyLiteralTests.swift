import DataverseEmulatorCore
import Foundation
import SwitchboardConnectors
import SwitchboardEngine
import SwitchboardHub
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

/// Keys are written as the table's metadata types their columns, and `odata_bind` builds lookups
/// no message value can break out of (issue 13, item 11).
@Suite("Dataverse keys are quoted by their column's type, and odata_bind references are safe")
struct DataverseKeyLiteralTests {
    static let workspace = """
        version: 1
        environments: [test]
        server: { host: 127.0.0.1, port: 0 }
        systems:
          - { id: shop, kind: http, location: cloud }
          - id: crm
            kind: dataverse
            location: cloud
            connections:
              test: { base_url: ORIGIN, authority: ORIGIN, tenant: switchboard, client_id: app-1, client_secret: "${env:SECRET}", ca_file: CA }
        """

    static func integration(_ id: String, _ steps: String, _ target: String) -> String {
        """
        id: \(id)
        title: \(id) into Dataverse
        source: { system: shop, webhook: { path: /hooks/\(id), auth: { kind: none } } }
        steps: [\(steps)]
        target: { system: crm, dataverse: \(target) }
        delivery: { max_attempts: 3, backoff: { initial: 50ms, max: 100ms, multiplier: 2 }, timeout: 5s }
        """
    }

    @Test(
        "a text key holding digits or a GUID is quoted, a bad primary id is dead with a sentence, and a bind with quotes and slashes finds its record"
    )
    func keysAndBinds() async throws {
        let emulator = try await EmulatorHarness()
        let directory = try TemporaryDirectory()
        try directory.write(
            "switchboard.yaml",
            Self.workspace.replacingOccurrences(of: "ORIGIN", with: emulator.origin)
                .replacingOccurrences(of: "CA", with: emulator.folder.url.appendingPathComponent("tls/ca.pem").path))
        try directory.write(
            "integrations/accounts.yaml",
            Self.integration(
                "accounts", "{ map: { accountnumber: $.number, name: $.name } }", "{ table: accounts, key: { accountnumber: $.accountnumber } }"))
        try directory.write(
            "integrations/products.yaml",
            Self.integration(
                "products", "{ map: { record.productnumber: { concat: [$.number] }, record.name: $.name, key: $.number } }",
                "{ table: products, key: { productnumber: $.key }, body: $.record }"))
        try directory.write(
            "integrations/contacts.yaml",
            Self.integration(
                "contacts",
                "{ map: { emailaddress1: $.email, lastname: $.name, parentcustomerid@odata.bind: { odata_bind: accounts, key: { accountnumber: $.company } } } }",
                "{ table: contacts, key: { emailaddress1: $.emailaddress1 } }"))
        try directory.write(
            "integrations/byid.yaml",
            Self.integration("byid", "{ map: { contactid: $.id, lastname: $.name } }", "{ table: contacts, key: { contactid: $.contactid } }"))
        let workspace = try Workspace.load(directory: directory.url, registry: .standard, variables: ["SECRET": "secret-1"])
        let (hub, task, port) = try await Hub.startedForTest(workspace, label: "key-literals")
        func post(_ path: String, _ body: String) async throws -> String {
            try await emulator.send("POST", "http://127.0.0.1:\(port)/hooks/\(path)", body: body).json["id"]?.text ?? ""
        }

        let guidShaped = "5f2b1c3e-0000-4000-8000-00000000abcd"
        // Full-width digits pass Character.isHexDigit; they are text, not a GUID.
        let fullWidth = "１２３４５６７８-0000-4000-8000-000000000001"
        var sent: [String] = []
        sent.append(try await post("products", #"{"number": 1001, "name": "Numbers"}"#))
        sent.append(try await post("products", #"{"number": "\#(guidShaped)", "name": "Guid"}"#))
        sent.append(try await post("products", #"{"number": "\#(fullWidth)", "name": "Wide"}"#))
        sent.append(try await post("accounts", #"{"number": "O'B (1), 2", "name": "O'Brien and Sons"}"#))
        let written = sent
        let delivered = try await eventually {
            try await written.asyncMap { try await hub.store.message(id: $0)?.state }.allSatisfy { $0 == .delivered }
        }
        let errors = try await written.asyncMap { try await hub.store.message(id: $0)?.lastError ?? "" }
        #expect(delivered, "\(errors)")
        let contact = try await post("contacts", #"{"email": "pat@example.com", "name": "Pat", "company": "O'B (1), 2"}"#)
        // Dataverse cannot address a record whose key holds one of / # < > * % & : \ ? + in a URL.
        let slashed = try await post("products", #"{"number": "A/1", "name": "Slashed"}"#)
        let badID = try await post("byid", #"{"id": "not-a-guid", "name": "Nobody"}"#)
        let settled = try await eventually {
            try await [contact, badID, slashed].asyncMap { try await hub.store.message(id: $0)?.state } == [.delivered, .dead, .dead]
        }
        #expect(settled)

        let token = try await emulator.token()
        let products =
            try await emulator.send("GET", "products?$select=productnumber,name&$orderby=name", token: token).json["value"]?.arrayItems ?? []
        // Each product was created under the number it was sent with, as text.
        #expect(products.map { $0["productnumber"]?.text ?? "" } == [guidShaped, "1001", fullWidth])
        let rows = try await emulator.send("GET", "accounts?$select=accountnumber,name", token: token).json["value"]?.arrayItems ?? []
        #expect(rows.map { $0["accountnumber"]?.text ?? "" } == ["O'B (1), 2"])
        let pat = try await emulator.send(
            "GET", "contacts(emailaddress1='pat@example.com')?$select=lastname,_parentcustomerid_value", token: token)
        let obrien = try await emulator.send("GET", "accounts?$select=accountid", token: token).json["value"]?.arrayItems.first?["accountid"]?.text
        #expect(pat.json["_parentcustomerid_value"]?.text == obrien)
        #expect(obrien != nil)
        #expect(
            try await hub.store.message(id: slashed)?.lastError
                == "target.dataverse.key.productnumber from $.key is 'A/1', whose '/' Dataverse cannot take in a key in a URL (GET and PATCH fail on / # < > * % & : \\ ? +)"
        )
        let dead = try await hub.store.message(id: badID)
        #expect(dead?.lastError == "target.dataverse.key.contactid from $.contactid: 'not-a-guid' is not a GUID (the column is Uniqueidentifier)")

        await hub.shutdown()
        try await task.value
        directory.remove()
        try await emulator.stop()
    }

    @Test("odata_literal and odata_bind write quotes doubled and reserved characters encoded; a missing part leaves the field out")
    func mappingFunctions() throws {
        let document = try JSONValue(json: Array(#"{"name": "O'Brien, #1 (A&B)", "n": 42, "id": "5F2B1C3E-0000-4000-8000-00000000ABCD"}"#.utf8))
        let path = { (text: String) in MapExpression.path(JSONPath(text)!) }
        #expect(try MapExpression.odataLiteral(path("$.name")).evaluate(in: document) == .string("'O''Brien%2C%20%231%20%28A%26B%29'"))
        #expect(try MapExpression.odataLiteral(path("$.n")).evaluate(in: document) == .string("42"))
        let byKey = MapExpression.odataBind(entitySet: "accounts", key: [ODataKeyPart(column: "accountnumber", value: path("$.name"))])
        #expect(try byKey.evaluate(in: document) == .string("/accounts(accountnumber='O''Brien%2C%20%231%20%28A%26B%29')"))
        let byID = MapExpression.odataBind(entitySet: "accounts", key: [ODataKeyPart(column: nil, value: path("$.id"))])
        #expect(try byID.evaluate(in: document) == .string("/accounts(5f2b1c3e-0000-4000-8000-00000000abcd)"))
        let missing = MapExpression.odataBind(entitySet: "accounts", key: [ODataKeyPart(column: "accountnumber", value: path("$.nothing"))])
        #expect(try missing.evaluate(in: document) == nil)
        let notGUID = MapExpression.odataBind(entitySet: "accounts", key: [ODataKeyPart(column: nil, value: path("$.name"))])
        #expect(throws: StepError("odata_bind to accounts id: 'O'Brien, #1 (A&B)' is not a GUID")) { try notGUID.evaluate(in: document) }
    }
}
