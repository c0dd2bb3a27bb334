import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardModel
import SwitchboardTestHarness
import Testing

/// Requests shaped as Microsoft's Web API documentation shows them, over real HTTPS on loopback.
@Suite("Dataverse emulator: records over HTTPS")
struct EmulatorRecordsTests {
    @Test("a token from the token endpoint opens the Web API; without one, or with a wrong secret, the answer is 401")
    func authentication() async throws {
        let harness = try await EmulatorHarness()
        let anonymous = try await harness.send("GET", "accounts")
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Bearer authorization_uri=") == true)
        #expect(anonymous.errorMessage?.contains("bearer token") == true)
        let wrong = try await harness.send(
            "POST", "\(harness.origin)/switchboard/oauth2/v2.0/token", headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: "grant_type=client_credentials&client_id=app-1&client_secret=nope&scope=https%3A%2F%2F127.0.0.1%2F.default")
        #expect(wrong.status == 401)
        #expect(wrong.json["error"]?.text == "invalid_client")
        let token = try await harness.token()
        #expect(token.split(separator: ".").count == 3)
        let forged = try await harness.send("GET", "accounts", token: token.dropLast(4) + "AAAA")
        #expect(forged.status == 401)
        let whoAmI = try await harness.send("GET", "WhoAmI", token: token)
        #expect(whoAmI.status == 200)
        #expect(whoAmI.json["UserId"]?.text.count == 36)
        #expect(whoAmI.headers["x-ms-dop-hint"] == "4")
        try await harness.stop()
    }

    @Test("create answers 204 with OData-EntityId, or 201 with the record under return=representation; retrieve and delete follow")
    func createRetrieveDelete() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let created = try await harness.send(
            "POST", "accounts", token: token, body: #"{"name": "Contoso Ltd", "accountnumber": "A-1", "revenue": 5000000, "creditonhold": false}"#)
        #expect(created.status == 204)
        let entityID = try #require(created.headers["odata-entityid"])
        #expect(entityID.hasPrefix("\(harness.base)accounts("))
        let id = String(entityID.dropFirst("\(harness.base)accounts(".count).dropLast())
        let represented = try await harness.send(
            "POST", "accounts?$select=name", token: token, headers: ["Prefer": "return=representation"], body: #"{"name": "Fabrikam"}"#)
        #expect(represented.status == 201)
        #expect(represented.headers["preference-applied"] == "return=representation")
        #expect(represented.json["@odata.context"]?.text == "\(harness.base)$metadata#accounts(name)/$entity")
        #expect(represented.json["name"]?.text == "Fabrikam")
        #expect(represented.json["@odata.etag"]?.text.hasPrefix("W/\"") == true)

        let retrieved = try await harness.send("GET", "accounts(\(id))?$select=name,revenue", token: token)
        #expect(retrieved.status == 200)
        #expect(retrieved.json["revenue"] == .double(5_000_000))
        #expect(retrieved.json["accountid"]?.text == id)
        let unchanged = try await harness.send("GET", "accounts(\(id))", token: token, headers: ["If-None-Match": retrieved.headers["etag"] ?? ""])
        #expect(unchanged.status == 304)

        #expect(try await harness.send("DELETE", "accounts(\(id))", token: token).status == 204)
        let gone = try await harness.send("GET", "accounts(\(id))", token: token)
        #expect(gone.status == 404)
        #expect(gone.errorCode == "0x80040217")
        #expect(gone.errorMessage == "account With Id = \(id) Does Not Exist")
        try await harness.stop()
    }

    @Test("upsert by alternate key creates then updates with the same answer; If-Match: * and If-None-Match: * behave as documented")
    func upsertByAlternateKey() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let first = try await harness.send("PATCH", "accounts(accountnumber='A-100')", token: token, body: #"{"name": "Northwind"}"#)
        #expect(first.status == 204)
        #expect(first.headers["odata-entityid"] == "\(harness.base)accounts(accountnumber='A-100')")
        let second = try await harness.send(
            "PATCH", "accounts(accountnumber='A-100')", token: token, headers: ["Prefer": "return=representation"],
            body: #"{"name": "Northwind Traders"}"#)
        #expect(second.status == 200)
        #expect(second.json["name"]?.text == "Northwind Traders")
        #expect(second.json["accountnumber"]?.text == "A-100")
        let all = try await harness.send("GET", "accounts?$filter=accountnumber eq 'A-100'&$count=true", token: token)
        #expect(all.json["@odata.count"] == .int(1))

        let createOnly = try await harness.send(
            "PATCH", "accounts(accountnumber='A-100')", token: token, headers: ["If-None-Match": "*"], body: #"{"name": "x"}"#)
        #expect(createOnly.status == 412)
        #expect(createOnly.errorMessage == "A record with matching key values already exists.")
        let missingID = "00000000-0000-0000-0000-000000000001"
        let updateOnly = try await harness.send("PATCH", "accounts(\(missingID))", token: token, headers: ["If-Match": "*"], body: #"{"name": "x"}"#)
        #expect(updateOnly.status == 404)
        #expect(updateOnly.errorMessage == "account With Id = \(missingID) Does Not Exist")

        // Optimistic concurrency: an old ETag is refused with 412.
        let etag = try #require(second.json["@odata.etag"]?.text)
        #expect(
            try await harness.send(
                "PATCH", "accounts(accountnumber='A-100')", token: token, headers: ["If-Match": etag], body: #"{"telephone1": "1"}"#
            ).status == 204)
        let stale = try await harness.send(
            "PATCH", "accounts(accountnumber='A-100')", token: token, headers: ["If-Match": etag], body: #"{"telephone1": "2"}"#)
        #expect(stale.status == 412)
        #expect(stale.errorCode == "0x80060882")

        // A second record with the same alternate key is refused.
        let duplicate = try await harness.send("POST", "accounts", token: token, body: #"{"name": "Copy", "accountnumber": "a-100"}"#)
        #expect(duplicate.status == 412)
        #expect(duplicate.errorCode == "0x80060892")
        try await harness.stop()
    }

    @Test("lookups bind with @odata.bind and read back as _x_value with formatted values and lookup annotations")
    func lookups() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let contact = try await harness.send(
            "POST", "contacts", token: token, headers: ["Prefer": "return=representation"],
            body: #"{"fullname": "Maria Campbell", "emailaddress1": "maria@example.com"}"#)
        let contactID = try #require(contact.json["contactid"]?.text)
        let account = try await harness.send(
            "POST", "accounts", token: token, headers: ["Prefer": "return=representation"],
            body: #"{"name": "Adventure Works", "primarycontactid@odata.bind": "/contacts(\#(contactID))", "industrycode": 7, "revenue": 1234.5}"#)
        #expect(account.status == 201)
        let accountID = try #require(account.json["accountid"]?.text)
        let read = try await harness.send(
            "GET", "accounts(\(accountID))?$select=name,_primarycontactid_value,industrycode,revenue", token: token,
            headers: ["Prefer": #"odata.include-annotations="*""#])
        #expect(read.json["_primarycontactid_value"]?.text == contactID)
        #expect(read.json["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"]?.text == "Maria Campbell")
        #expect(read.json["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"]?.text == "contact")
        #expect(read.json["industrycode@OData.Community.Display.V1.FormattedValue"]?.text == "Consulting")
        #expect(read.json["revenue@OData.Community.Display.V1.FormattedValue"]?.text == "$1,234.50")
        // Binding by alternate key works too; a missing record is named.
        let byKey = try await harness.send(
            "POST", "accounts", token: token, body: #"{"name": "B", "primarycontactid@odata.bind": "contacts(emailaddress1='maria@example.com')"}"#)
        #expect(byKey.status == 204)
        let missing = try await harness.send(
            "POST", "accounts", token: token,
            body: #"{"name": "C", "primarycontactid@odata.bind": "/contacts(00000000-0000-0000-0000-00000000000a)"}"#)
        #expect(missing.status == 404)
        #expect(missing.errorMessage == "contact With Id = 00000000-0000-0000-0000-00000000000a Does Not Exist")
        try await harness.stop()
    }

    @Test("bad requests get Dataverse's status, code and message, and change nothing")
    func badRequests() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let unknownTable = try await harness.send("GET", "widgets", token: token)
        #expect(unknownTable.status == 404)
        #expect(unknownTable.errorMessage == "Resource not found for the segment 'widgets'.")
        let unknownColumn = try await harness.send("POST", "accounts", token: token, body: #"{"name": "A", "colour": "red"}"#)
        #expect(unknownColumn.status == 400)
        #expect(unknownColumn.errorCode == "0x80060888")
        #expect(unknownColumn.errorMessage?.contains("The property 'colour' does not exist on type 'Microsoft.Dynamics.CRM.account'") == true)
        let tooLong = try await harness.send("POST", "accounts", token: token, body: #"{"accountnumber": "\#(String(repeating: "9", count: 21))"}"#)
        #expect(tooLong.status == 400)
        #expect(tooLong.errorCode == "0x80044331")
        let wrongType = try await harness.send("POST", "accounts", token: token, body: #"{"numberofemployees": "many"}"#)
        #expect(wrongType.status == 400)
        #expect(wrongType.errorMessage == "Cannot convert the literal 'many' to the expected type 'Edm.Int32'.")
        let malformed = try await harness.send("GET", "accounts?$filter=name eq", token: token)
        #expect(malformed.status == 400)
        #expect(malformed.errorMessage?.hasPrefix("Syntax error at position") == true)
        let skip = try await harness.send("GET", "accounts?$skip=10", token: token)
        #expect(skip.status == 400)
        let badKey = try await harness.send("GET", "accounts(telephone1='1')", token: token)
        #expect(badKey.status == 400)
        #expect(badKey.errorMessage?.hasPrefix("The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.account'.") == true)
        let notJSON = try await harness.send("POST", "accounts", token: token, body: "{name:")
        #expect(notJSON.status == 400)
        let count = try await harness.send("GET", "accounts/$count", token: token)
        #expect(count.text == "0")
        try await harness.stop()
    }
}
