import FinanceOperationsEmulatorCore
import Foundation
import SwitchboardValues
import Synchronization

extension FuzzTarget {
    /// The Finance & Operations emulator's OData service: the input's first line is a request line
    /// (`PATCH /data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-1')?cross-company=true`),
    /// the rest its body (a `$batch` body's boundary is `batch_1`), handled by a `DataService` over the default entities with a customer
    /// and a journal seeded (keys, `$filter` in the service's dialect, query options, writes); and
    /// the whole input read as an entity schema.
    static let financeOperations = FuzzTarget(
        name: "fno", summary: "Finance & Operations: a request line and body to DataService, and EntitySchemaReader", maxLength: 8_192
    ) { bytes in
        let text = FuzzInput.text(bytes)
        _ = try? EntitySchemaReader.read(text, file: "fuzz.yaml")
        let line = text.prefix { $0 != "\n" }
        let body = text.dropFirst(line.count + 1)
        let words = line.split(separator: " ", maxSplits: 1)
        let method = words.first.map(String.init) ?? "GET"
        let target = words.count > 1 ? String(words[1]) : "/data/CustomersV3"
        let path = target.prefix { $0 != "?" }
        let query = target.dropFirst(path.count + 1)
        _ = FinanceOperationsFixture.service().handle(
            ServiceRequest(
                method: method, path: String(path).removingPercentEncoding ?? String(path), query: QueryString.parse(String(query)),
                headers: [("Content-Type", "multipart/mixed; boundary=batch_1")], body: Array(body.utf8), root: "https://127.0.0.1:8443",
                company: "usmf"))
    }
}

/// A `DataService` over the default entities with a customer and a journal line seeded; built
/// again every 256 inputs, so records that inputs create do not pile up.
enum FinanceOperationsFixture {
    private static let shared = Mutex<(service: DataService, uses: Int)?>(nil)

    static func service() -> DataService {
        shared.withLock { state in
            if let current = state, current.uses < 256 {
                state = (current.service, current.uses + 1)
                return current.service
            }
            let service = DataService(schema: DefaultEntities.schema, pageSize: 5)
            for (set, body) in [
                ("CustomersV3", #"{"CustomerAccount":"US-1","OrganizationName":"O'Brien Retail","CustomerGroupId":"10","SalesCurrencyCode":"USD","CreditLimit":10.5}"#),
                ("LedgerJournalHeaders", #"{"JournalBatchNumber":"JN-1","JournalName":"GenJrn"}"#),
                ("LedgerJournalLines", #"{"JournalBatchNumber":"JN-1","TransDate":"2026-12-01","CurrencyCode":"USD","DebitAmount":10}"#),
            ] {
                _ = service.handle(ServiceRequest(method: "POST", path: "/data/\(set)", body: Array(body.utf8), root: "https://127.0.0.1:8443", company: "usmf"))
            }
            state = (service, 1)
            return service
        }
    }
}
