import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import SwitchboardModel
import SwitchboardTestHarness
import Testing

@Suite("Dataverse emulator: change tracking, bulk messages and $batch over HTTPS")
struct EmulatorBulkTests {
    @Test("odata.track-changes gives a delta link; following it returns what changed and what was deleted since")
    func changeTracking() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        for name in ["A", "B", "C"] { _ = try await harness.send("POST", "accounts", token: token, body: #"{"name": "\#(name)"}"#) }
        let initial = try await harness.send("GET", "accounts?$select=name", token: token, headers: ["Prefer": "odata.track-changes"])
        #expect(initial.headers["preference-applied"] == "odata.track-changes")
        #expect(initial.json["value"]?.arrayCount == 3)
        let deltaLink = try #require(initial.json["@odata.deltaLink"]?.text)
        #expect(deltaLink.contains("$deltatoken="))
        let ids = initial.json["value"]?.arrayItems.compactMap { $0["accountid"]?.text } ?? []
        // Change B, delete C, add D.
        _ = try await harness.send("PATCH", "accounts(\(ids[1]))", token: token, body: #"{"name": "B2"}"#)
        _ = try await harness.send("DELETE", "accounts(\(ids[2]))", token: token)
        _ = try await harness.send("POST", "accounts", token: token, body: #"{"name": "D"}"#)
        let delta = try await harness.send("GET", deltaLink, token: token)
        #expect(delta.status == 200)
        #expect(delta.json["@odata.context"]?.text == "\(harness.base)$metadata#accounts(name)/$delta")
        let items = delta.json["value"]?.arrayItems ?? []
        #expect(Set(items.compactMap { $0["name"]?.text }) == ["B2", "D"])
        let deleted = items.filter { $0["reason"]?.text == "deleted" }
        #expect(deleted.count == 1)
        #expect(deleted.first?["id"]?.text == ids[2])
        #expect(deleted.first?["@odata.context"]?.text == "\(harness.base)$metadata#accounts/$deletedEntity")
        // Nothing changed since the new link.
        let quiet = try await harness.send("GET", try #require(delta.json["@odata.deltaLink"]?.text), token: token)
        #expect(quiet.json["value"]?.arrayCount == 0)
        let filtered = try await harness.send("GET", "accounts?$filter=name eq 'A'", token: token, headers: ["Prefer": "odata.track-changes"])
        #expect(filtered.status == 400)
        #expect(filtered.errorMessage == #"The "$filter" query parameter isn't supported when Change Tracking is enabled."#)
        try await harness.stop()
    }

    @Test(
        "under odata.maxpagesize the first read and a delta read come in pages; only the last page has the delta link; a change between pages comes with the next delta"
    )
    func pagedChangeTracking() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        for number in 1...7 { _ = try await harness.send("POST", "accounts", token: token, body: #"{"name": "A\#(number)"}"#) }
        // As Microsoft's change tracking page shows the request: Prefer: odata.track-changes with a page size.
        let prefer = ["Prefer": "odata.track-changes,odata.maxpagesize=3"]
        func read(_ first: String) async throws -> (names: [String], pages: Int, deltaLink: String?, ids: [String]) {
            var names: [String] = [], ids: [String] = [], pages = 0
            var url = first
            while true {
                let page = try await harness.send("GET", url, token: token, headers: prefer)
                #expect(page.status == 200, "\(page.text)")
                pages += 1
                let items = page.json["value"]?.arrayItems ?? []
                #expect(items.count <= 3)
                names += items.compactMap { $0["name"]?.text }
                ids += items.compactMap { $0["reason"]?.text == "deleted" ? $0["id"]?.text : nil }
                if let next = page.json["@odata.nextLink"]?.text {
                    #expect(page.json["@odata.deltaLink"] == nil, "only the last page carries the delta link")
                    #expect(next.contains("$skiptoken="))
                    url = next
                    // Changed between pages: not in this read, in the next delta.
                    if pages == 1 { _ = try await harness.send("POST", "accounts", token: token, body: #"{"name": "late"}"#) }
                } else {
                    return (names, pages, page.json["@odata.deltaLink"]?.text, ids)
                }
            }
        }
        let initial = try await read("accounts?$select=name")
        #expect(initial.pages == 3)
        #expect(initial.names == (1...7).map { "A\($0)" })
        let deltaLink = try #require(initial.deltaLink)
        let listed = try await harness.send("GET", "accounts?$select=name&$filter=name eq 'A1'", token: token)
        let a1 = try #require(listed.json["value"]?.arrayItems.first?["accountid"]?.text)
        for number in 8...10 { _ = try await harness.send("POST", "accounts", token: token, body: #"{"name": "A\#(number)"}"#) }
        _ = try await harness.send("DELETE", "accounts(\(a1))", token: token)
        let delta = try await read(deltaLink)
        #expect(delta.pages == 2)
        #expect(delta.names == ["late", "A8", "A9", "A10"], "\(delta.names)")
        #expect(delta.ids == [a1])
        let bad = try await harness.send("GET", #"accounts?$skiptoken=<cookie pagenumber="2" istracking="True" />"#, token: token, headers: prefer)
        #expect(bad.status == 400)
        try await harness.stop()
    }

    @Test("CreateMultiple returns the new ids; UpsertMultiple by alternate key updates and creates; one bad target changes nothing")
    func bulkMessages() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let created = try await harness.send(
            "POST", "accounts/Microsoft.Dynamics.CRM.CreateMultiple", token: token,
            body: """
                {"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "One", "accountnumber": "K-1"},
                             {"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "Two", "accountnumber": "K-2"}]}
                """)
        #expect(created.status == 200)
        #expect(created.json["Ids"]?.arrayCount == 2)
        #expect(created.json["@odata.context"]?.text == "\(harness.base)$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse")
        let upserted = try await harness.send(
            "POST", "accounts/Microsoft.Dynamics.CRM.UpsertMultiple", token: token,
            body: """
                {"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": "accounts(accountnumber='K-2')", "name": "Two updated"},
                             {"@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": "accounts(accountnumber='K-3')", "name": "Three"}]}
                """)
        #expect(upserted.status == 204)
        let names = try await harness.send("GET", "accounts?$select=name,accountnumber&$orderby=accountnumber", token: token)
        #expect(names.json["value"]?.names == ["One", "Two updated", "Three"])
        let broken = try await harness.send(
            "POST", "accounts/Microsoft.Dynamics.CRM.CreateMultiple", token: token,
            body: """
                {"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "Four"},
                             {"name": "no type"}]}
                """)
        #expect(broken.status == 400)
        #expect(broken.errorMessage?.hasPrefix("Targets[1]: Every item in Targets needs the @odata.type annotation") == true)
        let count = try await harness.send("GET", "accounts/$count", token: token)
        #expect(count.text == "3")
        try await harness.stop()
    }

    static func batchBody(_ boundary: String, _ parts: [String]) -> String {
        parts.map { "--\(boundary)\r\n\($0)" }.joined() + "--\(boundary)--\r\n"
    }

    @Test("$batch runs requests in order; a change set with a Content-ID reference commits together, or not at all")
    func batch() async throws {
        let harness = try await EmulatorHarness()
        let token = try await harness.token()
        let changeSet = Self.batchBody(
            "changeset_1",
            [
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\nPOST /api/data/v9.2/contacts HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{\"fullname\": \"Batch Contact\"}\r\n",
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 2\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{\"name\": \"Batch Account\", \"primarycontactid@odata.bind\": \"$1\"}\r\n",
            ])
        let body = Self.batchBody(
            "batch_A",
            [
                "Content-Type: multipart/mixed; boundary=changeset_1\r\n\r\n\(changeSet)",
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET /api/data/v9.2/accounts?$select=name,_primarycontactid_value HTTP/1.1\r\n\r\n",
            ])
        let answer = try await harness.send(
            "POST", "$batch", token: token, headers: ["Content-Type": "multipart/mixed; boundary=batch_A"], body: body)
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"]?.hasPrefix("multipart/mixed; boundary=batchresponse_") == true)
        #expect(answer.text.contains("boundary=changesetresponse_"))
        #expect(answer.text.components(separatedBy: "HTTP/1.1 204 No Content").count == 3)
        #expect(answer.text.contains("Content-ID: 2"))
        #expect(answer.text.contains("\"name\":\"Batch Account\""))
        let linked = try await harness.send("GET", "accounts?$select=name&$filter=_primarycontactid_value ne null&$count=true", token: token)
        #expect(linked.json["@odata.count"] == .int(1))

        // A failing change set rolls back its first part; without continue-on-error the batch answers 400.
        let failing = Self.batchBody(
            "changeset_2",
            [
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"name\": \"Rolled back\"}\r\n",
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 2\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"colour\": \"red\"}\r\n",
            ])
        let refused = try await harness.send(
            "POST", "$batch", token: token, headers: ["Content-Type": "multipart/mixed; boundary=batch_B"],
            body: Self.batchBody("batch_B", ["Content-Type: multipart/mixed; boundary=changeset_2\r\n\r\n\(failing)"]))
        #expect(refused.status == 400)
        #expect(refused.text.contains("HTTP/1.1 400 Bad Request"))
        #expect(refused.text.contains("The property 'colour' does not exist"))
        let rolledBack = try await harness.send("GET", "accounts?$filter=name eq 'Rolled back'&$count=true", token: token)
        #expect(rolledBack.json["@odata.count"] == .int(0))

        // With continue-on-error every part answers, and the good one is kept.
        let parts = Self.batchBody(
            "batch_C",
            [
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"colour\": \"red\"}\r\n",
                "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"name\": \"Kept\"}\r\n",
            ])
        let mixed = try await harness.send(
            "POST", "$batch", token: token, headers: ["Content-Type": "multipart/mixed; boundary=batch_C", "Prefer": "odata.continue-on-error"],
            body: parts)
        #expect(mixed.status == 200)
        #expect(mixed.text.contains("HTTP/1.1 400 Bad Request"))
        #expect(mixed.text.contains("HTTP/1.1 204 No Content"))
        let kept = try await harness.send("GET", "accounts?$filter=name eq 'Kept'&$count=true", token: token)
        #expect(kept.json["@odata.count"] == .int(1))

        let malformed = try await harness.send(
            "POST", "$batch", token: token, headers: ["Content-Type": "multipart/mixed; boundary=batch_D"], body: "--batch_D\r\nnonsense")
        #expect(malformed.status == 400)
        #expect(malformed.errorMessage == "The batch body does not end with '--batch_D--'.")
        let stats = try await harness.send("GET", "\(harness.origin)/_emulator/stats")
        #expect(stats.json["batches"]?["count"] == .int(4))
        try await harness.stop()
    }
}
