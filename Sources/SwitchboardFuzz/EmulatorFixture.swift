import DataverseEmulatorCore
import Foundation
import SwitchboardValues

/// The Dataverse emulator's Web API in memory, over the default schema, for the OData targets:
/// requests go through `WebAPI.handle` as the emulator's server hands them over.
enum EmulatorFixture {
    static let schema = DefaultSchema.schema
    static let user = ApplicationUser(clientID: "fuzz", clientSecret: "fuzz")
    static let baseURL = "https://127.0.0.1:8443/api/data/v9.2/"

    /// A store holding `seed`; its clock stands still, so an input's answer does not depend on the hour.
    static func api() -> WebAPI {
        let api = WebAPI(store: RecordStore(schema: schema, clock: { Date(timeIntervalSince1970: 1_767_225_600) }))
        seed(api)
        return api
    }

    /// Shared by the targets that only read: built once.
    static let readOnly = api()

    /// The seeded contact's id, which the first account's primary contact refers to.
    static let contactID = "5f2b0c4e-1a2b-4c3d-9e8f-001122334455"

    /// Two accounts (one with a number and a primary contact) and a contact, as the docs' examples
    /// use them, so `$expand` and navigation paths in `$filter` find a record at the other end.
    static func seed(_ api: WebAPI) {
        let records: [(String, JSONValue)] = [
            (
                "contacts",
                .object([
                    "contactid": .string(contactID), "firstname": .string("Joe"), "lastname": .string("O'Brien"),
                    "emailaddress1": .string("joe@example.com"),
                ])
            ),
            (
                "accounts",
                .object([
                    "name": .string("Contoso"), "accountnumber": .string("A-1"), "revenue": .double(1000.5), "numberofemployees": .int(42),
                    "creditonhold": .bool(false), "industrycode": .int(7), "primarycontactid@odata.bind": .string("/contacts(\(contactID))"),
                ])
            ),
            ("accounts", .object(["name": .string("Fabrikam"), "accountnumber": .string("A-2"), "description": .string("Ünïcödé ✓")])),
        ]
        for (set, body) in records {
            _ = api.handle(WebAPIRequest(method: "POST", resourcePath: set, body: body.serialized()), baseURL: baseURL, user: user)
        }
    }

    /// A request's answer from `api`.
    @discardableResult
    static func send(
        _ api: WebAPI, _ method: String, _ path: String, query: [(String, String)] = [], headers: [String: String] = [:], body: [UInt8] = []
    )
        -> WebAPIResponse
    {
        api.handle(WebAPIRequest(method: method, resourcePath: path, query: query, headers: headers, body: body), baseURL: baseURL, user: user)
    }
}
