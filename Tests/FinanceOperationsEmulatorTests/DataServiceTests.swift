import FinanceOperationsEmulatorCore
import Foundation
import SwitchboardTesting
import SwitchboardValues
import Testing

/// The OData service at `/data`, with requests shaped as Microsoft's documentation and captured
/// traffic show them, without a server.
@Suite("Finance and Operations emulator: the OData service")
struct DataServiceTests {
    let service = DataService(schema: DefaultEntities.schema)
    static let root = "https://127.0.0.1:8443"

    func send(_ method: String, _ target: String, _ body: String? = nil, company: String = "usmf") -> (status: Int, json: JSONValue, response: ServiceResponse) {
        let parts = target.split(separator: "?", maxSplits: 1)
        let query = parts.count > 1
            ? parts[1].split(separator: "&").map { pair -> (String, String) in
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                return (kv[0], kv.count > 1 ? kv[1] : "")
            } : []
        let response = service.handle(
            ServiceRequest(
                method: method, path: String(parts[0]).removingPercentEncoding ?? String(parts[0]), query: query, body: Array((body ?? "").utf8),
                root: Self.root, company: company))
        return (response.status, (try? JSONValue(json: response.body)) ?? .null, response)
    }

    static let customer = #"{"CustomerAccount":"US-001","OrganizationName":"Contoso","CustomerGroupId":"10","SalesCurrencyCode":"USD"}"#

    @Test("the default schema reads, and every entity is per company with dataAreaId first in its key")
    func defaultSchema() throws {
        let schema = try EntitySchemaReader.read(DefaultEntities.yaml, file: "default")
        #expect(schema.entities.map(\.setName) == [
            "CustomersV3", "VendorsV2", "ReleasedProductsV2", "SalesOrderHeadersV2", "SalesOrderLines", "PurchaseOrderHeadersV2",
            "PurchaseOrderLinesV2", "LedgerJournalHeaders", "LedgerJournalLines", "SalesInvoiceHeadersV2",
        ])
        #expect(schema.entity(set: "SalesInvoiceHeadersV2")?.businessEvents.map(\.id) == ["SalesInvoicePostedBusinessEvent"])
        #expect(schema.entities.allSatisfy { $0.perCompany && $0.key.first == "dataAreaId" })
        #expect(schema.entity(set: "LedgerJournalLines")?.key == ["dataAreaId", "JournalBatchNumber", "LineNumber"])
    }

    @Test("create answers 201 with the whole record, defaults filled in, an ETag and a Location with the composite key")
    func create() throws {
        let created = send("POST", "/data/CustomersV3", Self.customer)
        #expect(created.status == 201)
        #expect(created.json["dataAreaId"] == .string("usmf"), "the caller's default company")
        #expect(created.json["PartyType"] == .string("Organization"), "an enum's default is its first member")
        #expect(created.json["CreditLimit"] == .double(0))
        #expect(created.json["@odata.context"] == .string(Self.root + "/data/$metadata#CustomersV3/$entity"))
        #expect(created.response.header("Location") == Self.root + "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')")
        let etag = try #require(created.response.header("ETag"))
        #expect(created.json["@odata.etag"] == .string(etag))
        // W/"base64('RecVersion,RecId')", as the service's ETags decode.
        let inner = String(etag.dropFirst(3).dropLast())
        let decoded = String(decoding: try #require(Data(base64Encoded: inner)), as: UTF8.self)
        #expect(decoded.wholeMatch(of: /'1,[0-9]+'/) != nil, "\(decoded)")
    }

    @Test("a record is read by its key in any order of the parts; text in keys compares without regard to case")
    func readByKey() {
        _ = send("POST", "/data/CustomersV3", Self.customer)
        let read = send("GET", "/data/CustomersV3(CustomerAccount='us-001',dataAreaId='USMF')")
        #expect(read.status == 200)
        #expect(read.json["OrganizationName"] == .string("Contoso"))
        #expect(read.response.header("ETag") != nil)
        let selected = send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')?$select=CustomerAccount,OrganizationName")
        #expect(selected.json["OrganizationName"] == .string("Contoso") && selected.json["CustomerGroupId"] == nil)
        #expect(selected.json["@odata.context"] == .string(Self.root + "/data/$metadata#CustomersV3(CustomerAccount,OrganizationName)/$entity"))
        let missing = send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-999')")
        #expect(missing.status == 404)
        #expect(missing.json["error"]?["message"] == .string("Resource not found for the segment 'CustomersV3'."))
    }

    @Test("reads see the default company; cross-company=true sees every company; a key in another company is not found without it")
    func companies() {
        #expect(send("POST", "/data/CustomersV3", Self.customer).status == 201)
        #expect(send("POST", "/data/CustomersV3", #"{"dataAreaId":"USRT","CustomerAccount":"US-001","CustomerGroupId":"20","SalesCurrencyCode":"USD"}"#).status == 201)
        #expect(send("GET", "/data/CustomersV3").json["value"]?.arrayValue?.count == 1)
        let every = send("GET", "/data/CustomersV3?cross-company=true").json["value"]?.arrayValue ?? []
        #expect(Set(every.compactMap { $0["dataAreaId"]?.text }) == ["usmf", "usrt"])
        #expect(send("GET", "/data/CustomersV3(dataAreaId='usrt',CustomerAccount='US-001')").status == 404)
        #expect(send("GET", "/data/CustomersV3(dataAreaId='usrt',CustomerAccount='US-001')?cross-company=true").json["CustomerGroupId"] == .string("20"))
        #expect(send("GET", "/data/CustomersV3", company: "usrt").json["value"]?.arrayValue?.first?["CustomerGroupId"] == .string("20"))
    }

    @Test("update changes only the fields given and answers 204 with a new ETag; delete answers 204; released products refuse delete")
    func updateAndDelete() {
        let created = send("POST", "/data/CustomersV3", Self.customer)
        let key = "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')"
        #expect(send("PATCH", key, #"{"CreditLimit": 5000.5, "PrimaryContactEmail": "ap@contoso.example"}"#).status == 204)
        let read = send("GET", key)
        #expect(read.json["CreditLimit"] == .double(5000.5) && read.json["OrganizationName"] == .string("Contoso"))
        #expect(read.json["@odata.etag"] != created.json["@odata.etag"])
        #expect(send("PUT", key, #"{"OrganizationName": "Contoso Ltd"}"#).status == 204)
        #expect(send("GET", key).json["CreditLimit"] == .double(5000.5), "PUT changes the fields given, as the service was seen to")
        #expect(send("PATCH", key, #"{"CustomerAccount": "US-002"}"#).status == 400, "a key field is not renamed")
        #expect(send("DELETE", key).status == 204)
        #expect(send("GET", key).status == 404)
        #expect(send("DELETE", key).status == 404)
        #expect(send("POST", "/data/ReleasedProductsV2", #"{"ItemNumber":"A-1","ProductNumber":"A-1"}"#).status == 201)
        let refused = send("DELETE", "/data/ReleasedProductsV2(dataAreaId='usmf',ItemNumber='A-1')")
        #expect(refused.status == 400)
        #expect(send("GET", "/data/ReleasedProductsV2(dataAreaId='usmf',ItemNumber='A-1')").status == 200)
    }

    @Test("a failed write answers in the service's shape with the infolog, and stores nothing")
    func failedWrites() {
        let mandatory = send("POST", "/data/CustomersV3", #"{"CustomerAccount":"US-003","OrganizationName":"Fabrikam"}"#)
        #expect(mandatory.status == 500)
        #expect(mandatory.json["error"]?["message"] == .string("An error has occurred."))
        let infolog = mandatory.json["error"]?["innererror"]?["message"]?.text ?? ""
        #expect(infolog.hasPrefix("Write failed for table row of type 'CustCustomerV3Entity'. Infolog: "), "\(infolog)")
        #expect(infolog.contains("Field 'CustomerGroupId' must be filled in.") && infolog.contains("Field 'SalesCurrencyCode' must be filled in."))
        #expect(mandatory.json["error"]?["innererror"]?["type"] == .string("Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"))
        #expect(send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-003')").status == 404)

        #expect(send("POST", "/data/CustomersV3", Self.customer).status == 201)
        let duplicate = send("POST", "/data/CustomersV3", Self.customer)
        #expect(duplicate.status == 500)
        #expect(duplicate.json["error"]?["innererror"]?["message"]?.text.contains("The record already exists.") == true)

        let unknown = send("POST", "/data/CustomersV3", #"{"CustomerAccount":"US-004","Colour":"red","CustomerGroupId":"10","SalesCurrencyCode":"USD"}"#)
        #expect(unknown.status == 400)
        #expect(unknown.json["error"]?["message"]?.text.contains("The property 'Colour' does not exist on type 'Microsoft.Dynamics.DataEntities.CustomerV3'") == true)
        let badEnum = send("PATCH", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')", #"{"IsSalesTaxIncludedInPrice":"Maybe"}"#)
        #expect(badEnum.status == 400)
        #expect(badEnum.json["error"]?["message"]?.text.contains("Microsoft.Dynamics.DataEntities.NoYes") == true)
        let tooLong = send("PATCH", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')", #"{"CustomerGroupId":"ABCDEFGHIJKL"}"#)
        #expect(tooLong.status == 500)
        #expect(send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')").json["CustomerGroupId"] == .string("10"))
        #expect(send("POST", "/data/CustomersV3", "not json").status == 400)
    }

    @Test("keys left out come from the number sequence or the next line number")
    func generatedKeys() {
        let order = send("POST", "/data/SalesOrderHeadersV2", #"{"OrderingCustomerAccountNumber":"US-001","InvoiceCustomerAccountNumber":"US-001"}"#)
        #expect(order.json["SalesOrderNumber"] == .string("SO-000001"))
        #expect(send("POST", "/data/SalesOrderHeadersV2", #"{"OrderingCustomerAccountNumber":"US-001","InvoiceCustomerAccountNumber":"US-001"}"#).json["SalesOrderNumber"] == .string("SO-000002"))
        let header = send("POST", "/data/LedgerJournalHeaders", #"{"JournalName":"GenJrn"}"#).json["JournalBatchNumber"]?.text ?? ""
        let line = #"{"JournalBatchNumber":"\#(header)","TransDate":"2026-12-01","CurrencyCode":"USD","DebitAmount":10}"#
        #expect(send("POST", "/data/LedgerJournalLines", line).json["LineNumber"] == .double(1))
        #expect(send("POST", "/data/LedgerJournalLines", line).json["LineNumber"] == .double(2))
        let read = send("GET", "/data/LedgerJournalLines(dataAreaId='usmf',JournalBatchNumber='\(header)',LineNumber=2)")
        #expect(read.status == 200, "a number key part is bare")
        #expect(send("GET", "/data/LedgerJournalLines(dataAreaId='usmf',JournalBatchNumber='\(header)',LineNumber=2.0)").status == 200)
        #expect(send("GET", "/data/LedgerJournalLines(dataAreaId='usmf',JournalBatchNumber='\(header)')").status == 400, "every key part is needed")
        #expect(send("POST", "/data/ReleasedProductsV2", #"{"ProductNumber":"A-1"}"#).status == 500, "no number sequence: the key is mandatory")
    }

    @Test("$top, $skip, $orderby, $count and /$count; pages of at most the page size, followed by @odata.nextLink")
    func paging() {
        let small = DataService(schema: DefaultEntities.schema, pageSize: 4)
        for number in 1...10 {
            _ = small.handle(ServiceRequest(
                method: "POST", path: "/data/VendorsV2",
                body: Array(#"{"VendorAccountNumber":"V\#(String(format: "%02d", number))","VendorGroupId":"G\#(number % 3)"}"#.utf8), root: Self.root, company: "usmf"))
        }
        func get(_ query: [(String, String)]) -> JSONValue {
            (try? JSONValue(json: small.handle(ServiceRequest(method: "GET", path: "/data/VendorsV2", query: query, root: Self.root, company: "usmf")).body)) ?? .null
        }
        var seen: [String] = []
        var page = get([("$count", "true")])
        #expect(page["@odata.count"] == .int(10))
        while true {
            seen += (page["value"]?.arrayValue ?? []).compactMap { $0["VendorAccountNumber"]?.text }
            guard let next = page["@odata.nextLink"]?.text, let url = URLComponents(string: next) else { break }
            #expect(next.hasPrefix(Self.root + "/data/VendorsV2?"))
            page = get((url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        }
        #expect(seen == (1...10).map { String(format: "V%02d", $0) }, "every record once, in order")
        let top = get([("$top", "3"), ("$skip", "2"), ("$orderby", "VendorAccountNumber desc")])
        #expect((top["value"]?.arrayValue ?? []).compactMap { $0["VendorAccountNumber"]?.text } == ["V08", "V07", "V06"])
        #expect(top["@odata.nextLink"] == nil)
        let count = small.handle(ServiceRequest(method: "GET", path: "/data/VendorsV2/$count", root: Self.root, company: "usmf"))
        #expect(String(decoding: count.body, as: UTF8.self) == "10")
        #expect(get([("$top", "-1")])["error"] != nil)
        #expect(get([("$select", "Nope")])["error"]?["message"]?.text.contains("Could not find a property named 'Nope'") == true)
    }

    @Test("the service document, $metadata, and unknown paths")
    func documents() {
        let root = send("GET", "/data/")
        #expect(root.json["value"]?.arrayValue?.contains { $0["name"] == .string("CustomersV3") } == true)
        let metadata = send("GET", "/data/$metadata")
        let xml = String(decoding: metadata.response.body, as: UTF8.self)
        #expect(xml.contains(#"<EntitySet Name="CustomersV3" EntityType="Microsoft.Dynamics.DataEntities.CustomerV3" />"#))
        #expect(xml.contains(#"<EnumType Name="NoYes">"#) && xml.contains(#"<EntityContainer Name="Resources">"#))
        #expect(send("GET", "/data/Nothing").status == 404)
        #expect(send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001'").status == 404)
        #expect(send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount=US-001)").status == 400)
        #expect(send("GET", "/data/CustomersV3('US-001')").status == 400, "a composite key names its parts")
    }

    @Test("a schema file's mistakes are each named with file, line and column")
    func schemaErrors() {
        let text = """
            entities:
              - set: Things
                type: Thing
                key: [Code, Missing]
                fields:
                  Code: { type: text }
                  Flag: { type: enum, enum: Nope }
            """
        do {
            _ = try EntitySchemaReader.read(text, file: "fno.yaml")
            Issue.record("the schema was accepted")
        } catch let error as WorkspaceError {
            let lines = error.diagnostics.map(\.description)
            #expect(lines.contains { $0.hasPrefix("fno.yaml:") && $0.contains("unknown type 'text'") }, "\(lines)")
            #expect(lines.contains { $0.contains("the enum Nope") }, "\(lines)")
            #expect(lines.contains { $0.contains("names Missing, which is not a field of Things") }, "\(lines)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
}

/// `$filter` in Finance & Operations' dialect.
@Suite("Finance and Operations emulator: $filter")
struct FilterDialectTests {
    let tests = DataServiceTests()

    func names(_ query: String, company: String = "usmf") -> [String]? {
        let answer = tests.send("GET", "/data/CustomersV3?" + query, company: company)
        guard answer.status == 200 else { return nil }
        return (answer.json["value"]?.arrayValue ?? []).compactMap { $0["OrganizationName"]?.text }
    }

    func seed() {
        let rows = [
            ("C1", "Contoso Retail", "Yes", 100.0, "usmf"), ("C2", "Fabrikam", "No", 2500.0, "usmf"),
            ("C3", "Retail Partners", "No", 50.0, "usmf"), ("C4", "Litware Retail", "Yes", 900.0, "usrt"),
        ]
        for (account, name, tax, limit, company) in rows {
            let body = #"{"dataAreaId":"\#(company)","CustomerAccount":"\#(account)","OrganizationName":"\#(name)","CustomerGroupId":"10","SalesCurrencyCode":"USD","IsSalesTaxIncludedInPrice":"\#(tax)","CreditLimit":\#(limit)}"#
            #expect(tests.send("POST", "/data/CustomersV3", body).status == 201)
        }
    }

    @Test("contains is a wildcard (eq '*retail*'), as are starts and ends; text compares without regard to case")
    func wildcards() {
        seed()
        #expect(names("$filter=OrganizationName eq '*retail*'") == ["Contoso Retail", "Retail Partners"])
        #expect(names("$filter=OrganizationName eq 'retail*'") == ["Retail Partners"])
        #expect(names("$filter=OrganizationName eq '*RETAIL'") == ["Contoso Retail"])
        #expect(names("$filter=OrganizationName eq 'fabrikam'") == ["Fabrikam"])
        #expect(names("$filter=OrganizationName ne '*retail*'") == ["Fabrikam"])
    }

    @Test("enums as Microsoft.Dynamics.DataEntities.NoYes'Yes' with eq and ne only; numbers; and, or, not; with cross-company")
    func enumsAndLogic() {
        seed()
        #expect(names("$filter=IsSalesTaxIncludedInPrice eq Microsoft.Dynamics.DataEntities.NoYes'Yes'") == ["Contoso Retail"])
        #expect(names("$filter=IsSalesTaxIncludedInPrice ne Microsoft.Dynamics.DataEntities.NoYes'Yes'") == ["Fabrikam", "Retail Partners"])
        #expect(names("$filter=IsSalesTaxIncludedInPrice gt Microsoft.Dynamics.DataEntities.NoYes'No'") == nil, "only eq and ne on enums")
        #expect(names("$filter=CreditLimit ge 100 and not (OrganizationName eq 'Fabrikam')") == ["Contoso Retail"])
        #expect(names("$filter=CreditLimit lt 60 or CreditLimit gt 2000") == ["Fabrikam", "Retail Partners"])
        #expect(names("$filter=dataAreaId eq 'usrt'&cross-company=true") == ["Litware Retail"], "another company, as the documentation shows")
        #expect(names("$filter=dataAreaId eq 'usrt'") == [], "without cross-company only the default company is read")
    }

    @Test("functions, in and has answer 400 with a sentence; an unknown property is named")
    func refusals() {
        seed()
        for query in ["$filter=contains(OrganizationName,'Retail')", "$filter=startswith(OrganizationName,'Con')"] {
            let answer = tests.send("GET", "/data/CustomersV3?" + query)
            #expect(answer.status == 400, "\(query)")
            #expect(answer.json["error"]?["message"]?.text.contains("wildcard") == true, "\(answer.json)")
        }
        let inOperator = tests.send("GET", "/data/CustomersV3?$filter=CustomerAccount in ('C1','C2')")
        #expect(inOperator.status == 400 && inOperator.json["error"]?["message"] == .string("The operators 'has' and 'in' are not supported."))
        let unknown = tests.send("GET", "/data/CustomersV3?$filter=Colour eq 'red'")
        #expect(unknown.status == 400 && unknown.json["error"]?["message"]?.text.contains("'Colour'") == true)
        let count = tests.send("GET", "/data/CustomersV3/$count?$filter=OrganizationName eq '*retail*'")
        #expect(String(decoding: count.response.body, as: UTF8.self) == "2")
    }
}

/// `$batch`, shaped as the captured traffic of the Excel add-in: change sets of POSTs with
/// relative request lines.
@Suite("Finance and Operations emulator: $batch")
struct ServiceBatchTests {
    let tests = DataServiceTests()

    static func part(_ id: Int, _ method: String, _ target: String, _ body: String? = nil) -> String {
        var text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \(id)\r\n\r\n\(method) \(target) HTTP/1.1\r\n"
        if let body { text += "Content-Type: application/json; type=entry\r\n\r\n\(body)\r\n" } else { text += "\r\n" }
        return text
    }

    static func changeSet(_ boundary: String, _ parts: [String]) -> String {
        "Content-Type: multipart/mixed; boundary=\(boundary)\r\n\r\n" + parts.map { "--\(boundary)\r\n\($0)" }.joined() + "--\(boundary)--\r\n"
    }

    func send(_ items: [String]) -> (status: Int, text: String) {
        let body = items.map { "--batch_1\r\n\($0)" }.joined() + "--batch_1--\r\n"
        let response = tests.service.handle(
            ServiceRequest(
                method: "POST", path: "/data/$batch", headers: [("Content-Type", "multipart/mixed; boundary=batch_1")], body: Array(body.utf8),
                root: DataServiceTests.root, company: "usmf"))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    static func group(_ code: String, _ name: String) -> String {
        #"{"CustomerAccount":"\#(code)","OrganizationName":"\#(name)","CustomerGroupId":"10","SalesCurrencyCode":"USD"}"#
    }

    @Test("a change set is all or none: one failing request leaves nothing of its change set, the answer is 200 with the failing part alone, and the next change set is applied")
    func atomicChangeSets() {
        let answer = send([
            Self.changeSet("changeset_a", [
                Self.part(1, "POST", "CustomersV3?cross-company=true", Self.group("B-1", "Batch one")),
                Self.part(2, "POST", "CustomersV3", #"{"CustomerAccount":"B-2"}"#),
            ]),
            Self.changeSet("changeset_b", [
                Self.part(3, "POST", "CustomersV3", Self.group("B-3", "Batch three")),
                Self.part(4, "PATCH", "CustomersV3(dataAreaId='usmf',CustomerAccount='B-3')", #"{"CreditLimit": 7}"#),
            ]),
            Self.part(5, "GET", "CustomersV3(dataAreaId='usmf',CustomerAccount='B-3')"),
        ])
        #expect(answer.status == 200)
        #expect(answer.text.contains("HTTP/1.1 500 Internal Server Error"), "\(answer.text)")
        #expect(answer.text.contains("Content-ID: 2") && !answer.text.contains("Content-ID: 1\r\n"), "the failed change set answers with its failing part alone")
        #expect(answer.text.contains("must be filled in."))
        #expect(answer.text.contains("HTTP/1.1 201 Created") && answer.text.contains("HTTP/1.1 204 No Content") && answer.text.contains("HTTP/1.1 200 OK"))
        #expect(answer.text.contains("\"CreditLimit\":7"), "the GET after the change set sees its update")
        #expect(tests.send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='B-1')").status == 404, "rolled back with its change set")
        #expect(tests.send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='B-3')").json["CreditLimit"] == .double(7))
    }

    @Test("more than 5,000 operations, a GET in a change set, a nested $batch and a body that is no batch are refused with a sentence")
    func refusals() {
        let many = Self.changeSet("changeset_m", (1...5_001).map { Self.part($0, "POST", "CustomersV3", Self.group("M-\($0)", "Many")) })
        let tooMany = send([many])
        #expect(tooMany.status == 400 && tooMany.text.contains("A maximum number of '5000' operations are allowed"), "\(tooMany.text.prefix(300))")
        #expect(tests.send("GET", "/data/CustomersV3/$count").response.body == Array("0".utf8), "nothing ran")
        let get = send([Self.changeSet("changeset_g", [Self.part(1, "GET", "CustomersV3")])])
        #expect(get.status == 200 && get.text.contains("GET requests are not allowed in a change set"))
        let nested = send([Self.part(1, "POST", "$batch", "x")])
        #expect(nested.text.contains("cannot hold another $batch"))
        let broken = tests.service.handle(
            ServiceRequest(method: "POST", path: "/data/$batch", headers: [("Content-Type", "multipart/mixed; boundary=batch_1")], body: Array("--batch_1\r\nnothing".utf8), root: DataServiceTests.root, company: "usmf"))
        #expect(broken.status == 400)
        let noBoundary = tests.service.handle(ServiceRequest(method: "POST", path: "/data/$batch", root: DataServiceTests.root, company: "usmf"))
        #expect(noBoundary.status == 400)
    }
}

/// `$expand` one level deep, and navigation paths.
@Suite("Finance and Operations emulator: $expand")
struct ExpandTests {
    let tests = DataServiceTests()

    func seed() -> String {
        let header = tests.send("POST", "/data/SalesOrderHeadersV2", #"{"OrderingCustomerAccountNumber":"US-001","InvoiceCustomerAccountNumber":"US-001"}"#)
        let number = header.json["SalesOrderNumber"]?.text ?? ""
        let other = tests.send("POST", "/data/SalesOrderHeadersV2", #"{"OrderingCustomerAccountNumber":"US-002","InvoiceCustomerAccountNumber":"US-002"}"#)
        for (order, item) in [(number, "A"), (number, "B"), (other.json["SalesOrderNumber"]?.text ?? "", "C")] {
            #expect(tests.send("POST", "/data/SalesOrderLines", #"{"SalesOrderNumber":"\#(order)","ItemNumber":"\#(item)","LineAmount":10}"#).status == 201)
        }
        return number
    }

    @Test("$expand=SalesOrderLines($select=…) gives each header its own lines; the navigation path reads them too")
    func expandLines() {
        let number = seed()
        let read = tests.send("GET", "/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='\(number)')?$expand=SalesOrderLines($select=ItemNumber)")
        #expect(read.status == 200, "\(read.json)")
        let lines = read.json["SalesOrderLines"]?.arrayValue ?? []
        #expect(lines.compactMap { $0["ItemNumber"]?.text }.sorted() == ["A", "B"])
        #expect(lines.allSatisfy { $0["LineAmount"] == nil }, "the lines' $select")
        let all = tests.send("GET", "/data/SalesOrderHeadersV2?$expand=SalesOrderLines").json["value"]?.arrayValue ?? []
        #expect(all.map { ($0["SalesOrderLines"]?.arrayValue ?? []).count } == [2, 1])
        let path = tests.send("GET", "/data/SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='\(number)')/SalesOrderLines")
        #expect((path.json["value"]?.arrayValue ?? []).count == 2)
        let xml = String(decoding: tests.send("GET", "/data/$metadata").response.body, as: UTF8.self)
        #expect(xml.contains(#"<NavigationProperty Name="SalesOrderLines" Type="Collection(Microsoft.Dynamics.DataEntities.SalesOrderLine)" />"#))
    }

    @Test("a single-valued navigation expands to one record; nested and unknown expansions are refused with a sentence")
    func singleAndRefused() {
        let header = tests.send("POST", "/data/LedgerJournalHeaders", #"{"JournalName":"GenJrn","Description":"Accruals"}"#).json["JournalBatchNumber"]?.text ?? ""
        _ = tests.send("POST", "/data/LedgerJournalLines", #"{"JournalBatchNumber":"\#(header)","TransDate":"2026-12-01","CurrencyCode":"USD"}"#)
        let line = tests.send("GET", "/data/LedgerJournalLines?$expand=LedgerJournalHeader").json["value"]?.arrayValue?.first
        #expect(line?["LedgerJournalHeader"]?["Description"] == .string("Accruals"))
        let nested = tests.send("GET", "/data/SalesOrderHeadersV2?$expand=SalesOrderLines($expand=Other)")
        #expect(nested.status == 400 && nested.json["error"]?["message"]?.text.contains("only first-level expansion is supported") == true)
        #expect(tests.send("GET", "/data/SalesOrderHeadersV2?$expand=Nothing").status == 400)
        #expect(tests.send("GET", "/data/SalesOrderHeadersV2?$expand=SalesOrderLines($select=Nope)").status == 400)
        #expect(tests.send("GET", "/data/SalesOrderHeadersV2?$expand=SalesOrderLines(").status == 400)
    }
}

/// Optimistic concurrency with `If-Match`.
@Suite("Finance and Operations emulator: If-Match")
struct IfMatchTests {
    let tests = DataServiceTests()

    func write(_ method: String, _ body: String?, ifMatch: String?) -> Int {
        var headers: [(String, String)] = []
        if let ifMatch { headers.append(("If-Match", ifMatch)) }
        return tests.service.handle(
            ServiceRequest(
                method: method, path: "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')", headers: headers,
                body: Array((body ?? "").utf8), root: DataServiceTests.root, company: "usmf")
        ).status
    }

    @Test("an update or delete with the record's ETag, with *, or without If-Match is applied; with an old ETag it is refused with 412 and changes nothing")
    func preconditions() throws {
        let created = tests.send("POST", "/data/CustomersV3", DataServiceTests.customer)
        let first = try #require(created.json["@odata.etag"]?.text)
        #expect(write("PATCH", #"{"CreditLimit": 1}"#, ifMatch: first) == 204)
        #expect(write("PATCH", #"{"CreditLimit": 2}"#, ifMatch: first) == 412, "the first ETag is stale now")
        #expect(tests.send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')").json["CreditLimit"] == .double(1))
        #expect(write("PATCH", #"{"CreditLimit": 3}"#, ifMatch: "*") == 204)
        #expect(write("PATCH", #"{"CreditLimit": 4}"#, ifMatch: nil) == 204)
        #expect(write("DELETE", nil, ifMatch: first) == 412)
        let current = try #require(tests.send("GET", "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')").json["@odata.etag"]?.text)
        #expect(write("DELETE", nil, ifMatch: current) == 204)
    }
}

/// Business events raised by writes: only those that commit.
@Suite("Finance and Operations emulator: business events of committed writes")
struct RaisedEventTests {
    @Test("a create raises the entity's event with its fields and dates as /Date(ms)/; a failed create and a rolled-back change set raise none")
    func onlyCommittedWrites() throws {
        let raised = Locked<[RaisedBusinessEvent]>([])
        let service = DataService(schema: DefaultEntities.schema) { events in raised.withLock { $0 += events } }
        func request(_ method: String, _ path: String, body: String, headers: [(String, String)] = [("Content-Type", "application/json")]) -> ServiceResponse {
            service.handle(ServiceRequest(method: method, path: path, query: [], headers: headers, body: Array(body.utf8), root: "https://fno", company: "usmf"))
        }
        let invoice = #"{"InvoiceNumber":"INV-9","InvoiceCustomerAccountNumber":"C-1","InvoiceDate":"2026-01-31","CurrencyCode":"USD","TotalInvoiceAmount":10}"#
        #expect(request("POST", "/data/SalesInvoiceHeadersV2", body: invoice).status == 201)
        #expect(request("POST", "/data/SalesInvoiceHeadersV2", body: #"{"InvoiceNumber":"INV-10"}"#).status == 500)
        let boundary = "batch_1"
        let changeSet = "changeset_1"
        let batch = """
            --\(boundary)\r\nContent-Type: multipart/mixed; boundary=\(changeSet)\r\n\r\n\
            --\(changeSet)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n\
            POST SalesInvoiceHeadersV2 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n\(invoice.replacingOccurrences(of: "INV-9", with: "INV-11"))\r\n\
            --\(changeSet)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n\
            POST SalesInvoiceHeadersV2 HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{"InvoiceNumber":"INV-12"}\r\n\
            --\(changeSet)--\r\n--\(boundary)--\r\n
            """
        #expect(request("POST", "/data/$batch", body: batch, headers: [("Content-Type", "multipart/mixed; boundary=\(boundary)")]).status == 200)
        let events = raised.withLock { $0 }
        #expect(events.map(\.id) == ["SalesInvoicePostedBusinessEvent"])
        #expect(events.first?.legalEntity == "usmf")
        #expect(events.first?.fields["InvoiceId"] == .string("INV-9"))
        #expect(events.first?.fields["InvoiceDate"] == .string("/Date(1769817600000)/"))
        #expect(events.first?.fields["InvoiceDueDate"] == .string(BusinessEventPayload.emptyDate))
    }
}

@Suite("Finance and Operations emulator: reads by whole keys")
struct KeyLookupTests {
    @Test("an or of whole keys answers those records, across companies only with cross-company; a partial key or a wildcard is filtered as usual")
    func keyLookups() throws {
        let service = DataService(schema: DefaultEntities.schema)
        func send(_ method: String, _ path: String, query: [(String, String)] = [], body: String = "") -> ServiceResponse {
            service.handle(
                ServiceRequest(
                    method: method, path: path, query: query, headers: [("Content-Type", "application/json")], body: Array(body.utf8), root: "https://fno",
                    company: "usmf"))
        }
        for (account, company) in [("C-1", "usmf"), ("C-2", "usmf"), ("C-1", "usrt")] {
            let body = #"{"CustomerAccount":"\#(account)","dataAreaId":"\#(company)","CustomerGroupId":"10","SalesCurrencyCode":"USD"}"#
            #expect(send("POST", "/data/CustomersV3", body: body).status == 201)
        }
        func accounts(_ filter: String, crossCompany: Bool = true) throws -> [String] {
            let answer = send("GET", "/data/CustomersV3", query: [("$filter", filter)] + (crossCompany ? [("cross-company", "true")] : []))
            return (try JSONValue(json: answer.body)["value"]?.arrayItems ?? []).map { "\($0["dataAreaId"]?.text ?? "")/\($0["CustomerAccount"]?.text ?? "")" }
        }
        let whole = "(dataAreaId eq 'usrt' and CustomerAccount eq 'c-1') or (dataAreaId eq 'usmf' and CustomerAccount eq 'C-2') or (dataAreaId eq 'usmf' and CustomerAccount eq 'C-9')"
        #expect(try accounts(whole) == ["usmf/C-2", "usrt/C-1"])
        #expect(try accounts(whole, crossCompany: false) == ["usmf/C-2"])
        #expect(try accounts("CustomerAccount eq 'C-1'") == ["usmf/C-1", "usrt/C-1"])
        #expect(try accounts("dataAreaId eq 'usmf' and CustomerAccount eq 'C-*'") == ["usmf/C-1", "usmf/C-2"])
    }
}
