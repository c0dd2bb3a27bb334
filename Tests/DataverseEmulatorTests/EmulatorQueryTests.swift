import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardModel
import SwitchboardTestHarness
import Testing

@Suite("Dataverse emulator: queries and metadata over HTTPS")
struct EmulatorQueryTests {
    @Test("$filter, $orderby, $top, $count and $select answer as the Web API does")
    func queries() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let cities = ["Seattle", "Redmond", "Seattle", "Portland", "Redmond"]
        for (index, city) in cities.enumerated() {
            _ = try await harness.send(
                "POST", "accounts", token: token,
                body:
                    #"{"name": "Account \#(index)", "address1_city": "\#(city)", "numberofemployees": \#(index * 10), "creditonhold": \#(index % 2 == 0)}"#
            )
        }
        let seattle = try await harness.send(
            "GET", "accounts?$select=name&$filter=address1_city eq 'seattle' and numberofemployees gt 0", token: token)
        #expect(seattle.json["value"]?.arrayCount == 1)
        #expect(seattle.json["@odata.context"]?.text == "\(harness.base)$metadata#accounts(name)")
        let ordered = try await harness.send("GET", "accounts?$select=name&$orderby=numberofemployees desc&$top=2", token: token)
        #expect(ordered.json["value"]?.names == ["Account 4", "Account 3"])
        let either = try await harness.send(
            "GET",
            "accounts?$select=name&$filter=(startswith(name,'Account 1') or contains(address1_city,'land')) and not creditonhold eq true&$count=true",
            token: token)
        #expect(either.json["@odata.count"] == .int(2))
        let empty = try await harness.send("GET", "accounts?$filter=telephone1 eq null&$count=true", token: token)
        #expect(empty.json["@odata.count"] == .int(5))
        try await harness.stop()
    }

    @Test("odata.maxpagesize pages through @odata.nextLink until every record was read once")
    func paging() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        for index in 0..<23 { _ = try await harness.send("POST", "contacts", token: token, body: #"{"fullname": "Contact \#(index)"}"#) }
        var next: String? = "contacts?$select=fullname"
        var names: [String] = []
        var pages = 0
        while let url = next {
            let page = try await harness.send("GET", url, token: token, headers: ["Prefer": "odata.maxpagesize=10"])
            #expect(page.headers["preference-applied"] == "odata.maxpagesize=10")
            names += page.json["value"]?.arrayItems.compactMap { $0["fullname"]?.text } ?? []
            next = page.json["@odata.nextLink"]?.text
            pages += 1
        }
        #expect(pages == 3)
        #expect(Set(names).count == 23)
        try await harness.stop()
    }

    @Test("EntityDefinitions with $select and $filter, one table's Attributes and Keys, and the $metadata document")
    func metadata() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let definitions = try await harness.send(
            "GET", "EntityDefinitions?$select=LogicalName,EntitySetName&$filter=LogicalName eq 'account'", token: token)
        #expect(definitions.status == 200)
        #expect(definitions.json["value"]?.arrayCount == 1)
        #expect(definitions.json["value"]?.arrayItems.first?["EntitySetName"]?.text == "accounts")
        let account = try await harness.send("GET", "EntityDefinitions(LogicalName='account')", token: token)
        #expect(account.json["PrimaryIdAttribute"]?.text == "accountid")
        #expect(account.json["PrimaryNameAttribute"]?.text == "name")
        // Managed properties are objects, as the service writes them, never null.
        #expect(
            account.json["CanChangeTrackingBeEnabled"]
                == .object(["Value": .bool(true), "CanBeChanged": .bool(true), "ManagedPropertyLogicalName": .string("canchangetrackingbeenabled")]))
        #expect(account.json["IsAuditEnabled"]?["ManagedPropertyLogicalName"]?.text == "canmodifyauditsettings")
        let attributes = try await harness.send(
            "GET", "EntityDefinitions(LogicalName='account')/Attributes?$select=LogicalName,AttributeType&$filter=AttributeType eq 'Lookup'",
            token: token)
        #expect(Set(attributes.json["value"]?.arrayItems.compactMap { $0["LogicalName"]?.text } ?? []) == ["primarycontactid", "parentaccountid"])
        let keys = try await harness.send("GET", "EntityDefinitions(LogicalName='account')/Keys", token: token)
        #expect(keys.json["value"]?.arrayItems.first?["KeyAttributes"] == .array([.string("accountnumber")]))
        let document = try await harness.send("GET", "$metadata", token: token)
        #expect(document.text.contains(#"<EntitySet Name="salesorderdetails" EntityType="Microsoft.Dynamics.CRM.salesorderdetail" />"#))
        #expect(document.text.contains(#"<Property Name="_customerid_value" Type="Edm.Guid" />"#))
        let unknown = try await harness.send("GET", "EntityDefinitions(LogicalName='widget')", token: token)
        #expect(unknown.status == 404)
        try await harness.stop()
    }

    @Test(
        "metadata as clients read it at start-up: $expand of Attributes, Keys and relationships, relationship paths, attribute casts; an unsupported option is refused"
    )
    func metadataAsClientsReadIt() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        // As Microsoft's "Query table definitions" page shows it.
        let expanded = try await harness.send(
            "GET",
            "EntityDefinitions?$select=LogicalName&$filter=LogicalName eq 'contact'&$expand=Attributes($select=LogicalName,AttributeType),Keys,ManyToOneRelationships",
            token: token)
        #expect(expanded.status == 200, "\(expanded.text)")
        let contact = try #require(expanded.json["value"]?.arrayItems.first)
        let attributes = contact["Attributes"]?.arrayItems ?? []
        #expect(
            attributes.contains(
                .object([
                    "MetadataId": attributes.first { $0["LogicalName"]?.text == "birthdate" }?["MetadataId"] ?? .null,
                    "LogicalName": .string("birthdate"), "AttributeType": .string("DateTime"),
                    "@odata.type": .string("#Microsoft.Dynamics.CRM.DateTimeAttributeMetadata"),
                ])))
        #expect(contact["Keys"]?.arrayItems.first?["KeyAttributes"] == .array([.string("emailaddress1")]))
        let parent = contact["ManyToOneRelationships"]?.arrayItems.first { $0["ReferencingAttribute"]?.text == "parentcustomerid" }
        #expect(parent?["ReferencedEntity"]?.text == "account" && parent?["ReferencedAttribute"]?.text == "accountid")
        #expect(parent?["ReferencingEntityNavigationPropertyName"]?.text == "parentcustomerid")
        // The same as paths.
        let oneToMany = try await harness.send(
            "GET", "EntityDefinitions(LogicalName='account')/OneToManyRelationships?$select=SchemaName,ReferencingEntity", token: token)
        let referencing: Set<String> = Set((oneToMany.json["value"]?.arrayItems ?? []).compactMap { $0["ReferencingEntity"]?.text })
        #expect(referencing.isSuperset(of: ["contact", "lead", "opportunity"]), "\(referencing)")
        let manyToOne = try await harness.send("GET", "EntityDefinitions(LogicalName='contact')/ManyToOneRelationships", token: token)
        #expect(manyToOne.json["value"]?.arrayItems.contains { $0["SchemaName"] == parent?["SchemaName"] } == true)
        // A cast to one kind of attribute metadata, with its own properties.
        let dates = try await harness.send(
            "GET",
            "EntityDefinitions(LogicalName='contact')/Attributes/Microsoft.Dynamics.CRM.DateTimeAttributeMetadata?$select=LogicalName,DateTimeBehavior",
            token: token)
        let birthdate = dates.json["value"]?.arrayItems.first { $0["LogicalName"]?.text == "birthdate" }
        #expect(birthdate?["DateTimeBehavior"] == .object(["Value": .string("UserLocal")]), "\(dates.text)")
        #expect(dates.json["value"]?.arrayItems.allSatisfy { $0["@odata.type"]?.text == "#Microsoft.Dynamics.CRM.DateTimeAttributeMetadata" } == true)
        let picklists = try await harness.send(
            "GET",
            "EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet",
            token: token)
        #expect(picklists.json["value"]?.arrayItems.first { $0["LogicalName"]?.text == "industrycode" }?["OptionSet"]?["Options"]?.arrayCount == 33)
        // Asked for and not served: refused, never silently left out.
        let unknown = try await harness.send("GET", "EntityDefinitions?$expand=Privileges", token: token)
        #expect(unknown.status == 400)
        #expect(unknown.errorMessage == "Could not find a property named 'Privileges' on type 'Microsoft.Dynamics.CRM.EntityMetadata'.")
        #expect(try await harness.send("GET", "EntityDefinitions?$top=1", token: token).status == 400)
        #expect(try await harness.send("GET", "EntityDefinitions?$expand=Attributes($top=2)", token: token).status == 400)
        try await harness.stop()
    }

    @Test(
        "records $expand a lookup, $filter follows a navigation path, and sdkmessagefilters say which tables take CreateMultiple, as clients ask at start-up"
    )
    func navigationAndSystemTables() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        _ = try await harness.send("POST", "accounts", token: token, body: #"{"name": "Contoso", "accountnumber": "C-1"}"#)
        _ = try await harness.send(
            "POST", "contacts", token: token,
            body: #"{"lastname": "Pat", "emailaddress1": "pat@example.com", "parentcustomerid@odata.bind": "/accounts(accountnumber='C-1')"}"#)
        _ = try await harness.send("POST", "contacts", token: token, body: #"{"lastname": "Lone", "emailaddress1": "lone@example.com"}"#)
        // https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables
        let expanded = try await harness.send(
            "GET", "contacts?$select=lastname&$expand=parentcustomerid($select=name)&$orderby=lastname", token: token)
        #expect(expanded.status == 200, "\(expanded.text)")
        let rows = expanded.json["value"]?.arrayItems ?? []
        #expect(rows.map { $0["lastname"]?.text ?? "" } == ["Lone", "Pat"])
        #expect(rows.first?["parentcustomerid"] == .null)
        #expect(rows.last?["parentcustomerid"]?["name"]?.text == "Contoso")
        let byPath = try await harness.send("GET", "contacts?$select=lastname&$filter=parentcustomerid/name eq 'Contoso'", token: token)
        #expect(byPath.json["value"]?.arrayItems.map { $0["lastname"]?.text ?? "" } == ["Pat"], "\(byPath.text)")
        #expect(try await harness.send("GET", "contacts?$expand=nothing", token: token).status == 400)
        #expect(try await harness.send("GET", "contacts?$filter=parentcustomerid/nothing eq 'x'", token: token).status == 400)

        // https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations (which tables support the bulk messages)
        let filters = try await harness.send(
            "GET",
            "sdkmessagefilters?$select=primaryobjecttypecode&$expand=sdkmessageid($select=name)&$filter=sdkmessageid/name eq 'CreateMultiple' and primaryobjecttypecode eq 'account'",
            token: token)
        #expect(filters.status == 200, "\(filters.text)")
        #expect(filters.json["value"]?.arrayItems.first?["sdkmessageid"]?["name"]?.text == "CreateMultiple")
        #expect(filters.json["value"]?.arrayCount == 1)
        let messages = try await harness.send("GET", "sdkmessages?$select=name&$filter=name eq 'UpsertMultiple'", token: token)
        #expect(messages.json["value"]?.arrayCount == 1)
        #expect(try await harness.send("POST", "sdkmessages", token: token, body: #"{"name": "Mine"}"#).status == 405)
        try await harness.stop()
    }

    @Test("GET of the Web API's root is the OData service document: every entity set, as a client's connection check reads it")
    func serviceDocument() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        // The root as Microsoft's page shows it: GET https://yourorg.api.crm.dynamics.com/api/data/v9.2/
        let document = try await harness.send("GET", "", token: token)
        #expect(document.status == 200)
        #expect(document.json["@odata.context"]?.text.hasSuffix("/api/data/v9.2/$metadata") == true, "\(document.text)")
        let sets = document.json["value"]?.arrayItems ?? []
        #expect(sets.contains(.object(["name": .string("accounts"), "kind": .string("EntitySet"), "url": .string("accounts")])))
        #expect(sets.contains { $0["name"]?.text == "salesorderdetails" })
        #expect(try await harness.send("GET", "", token: nil).status == 401)
        try await harness.stop()
    }
}

@Suite("Dataverse emulator: admin endpoints")
struct EmulatorAdminTests {
    @Test("seed creates records from JSON as a client would, naming a bad record; reset empties the tables")
    func seedAndReset() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let seeded = try await harness.send(
            "POST", "\(harness.origin)/_emulator/seed",
            body: """
                {"contacts": [{"fullname": "Seed Contact", "emailaddress1": "seed@example.com"}],
                 "accounts": [{"name": "Seed Account", "primarycontactid@odata.bind": "/contacts(emailaddress1='seed@example.com')"}]}
                """)
        #expect(seeded.status == 200)
        #expect(seeded.json["created"] == .int(2))
        let linked = try await harness.send("GET", "accounts?$filter=_primarycontactid_value ne null&$count=true", token: token)
        #expect(linked.json["@odata.count"] == .int(1))
        let bad = try await harness.send("POST", "\(harness.origin)/_emulator/seed", body: #"{"accounts": [{"name": "ok"}, {"size": 3}]}"#)
        #expect(bad.status == 400)
        #expect(bad.errorMessage?.hasPrefix("accounts[1]: The property 'size' does not exist") == true)
        #expect(try await harness.send("POST", "\(harness.origin)/_emulator/reset").status == 204)
        let empty = try await harness.send("GET", "accounts/$count", token: token)
        #expect(empty.text == "0")
        let metrics = try await harness.send("GET", "\(harness.origin)/_emulator/metrics")
        #expect(metrics.text.contains("dataverse_emulator_throttled_total{reason=\"requests\"} 0"))
        try await harness.stop()
    }
}
