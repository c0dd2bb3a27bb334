import SwitchboardEngine
import SwitchboardModel

/// The read before an upsert: which of the writes' records exist, asked as one `GET` of the
/// entity set per `keysPerRequest` writes, `$filter` on their keys and `$select` of the key
/// fields alone, across companies when the key holds `dataAreaId`. The service has no `in`
/// operator (it is documented as unsupported), so the keys are joined with `or`.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/odata
enum FinanceOperationsLookup {
    /// Keys in one read: short enough a URL (about 2 KB for two-part keys) for any front door.
    static let keysPerRequest = 20

    /// The writes grouped into reads: same entity and key fields, at most `keysPerRequest` each;
    /// positions in `writes`.
    static func groups(_ writes: [FinanceOperationsRequests.Write]) -> [[Int]] {
        var groups: [(signature: [String], members: [Int])] = []
        for (index, write) in writes.enumerated() {
            let signature = [write.write.entity] + write.key.map(\.field)
            if let at = groups.lastIndex(where: { $0.signature == signature && $0.members.count < keysPerRequest }) {
                groups[at].members.append(index)
            } else {
                groups.append((signature, [index]))
            }
        }
        return groups.map(\.members)
    }

    /// `…/data/CustomersV3?$filter=(dataAreaId%20eq%20'usmf'%20and%20CustomerAccount%20eq%20'US-001')%20or%20(…)&$select=dataAreaId,CustomerAccount&cross-company=true`.
    static func url(environmentURL: String, _ writes: [FinanceOperationsRequests.Write]) -> String {
        guard let first = writes.first else { return environmentURL + FinanceOperationsRequests.root }
        let clauses = writes.map { write in
            "(" + write.key.map { "\($0.field)%20eq%20\(FinanceOperationsRequests.literal($0.value))" }.joined(separator: "%20and%20") + ")"
        }
        var url =
            environmentURL + FinanceOperationsRequests.root + first.write.entity + "?$filter=" + clauses.joined(separator: "%20or%20")
            + "&$select=" + first.key.map(\.field).joined(separator: ",") + "&$top=\(writes.count)"
        if first.key.contains(where: { $0.field == FinanceOperationsRequests.company }) { url += "&cross-company=true" }
        return url
    }

    /// Whether each write's record is in the answer's `value`; nil when the answer is no list
    /// of records. Keys compare without regard to case, as the service's do.
    static func found(_ answer: [UInt8], _ writes: [FinanceOperationsRequests.Write]) -> [Bool]? {
        guard case .array(let records)? = (try? JSONValue(json: answer))?["value"] else { return nil }
        let present = Set(records.map { record in writes.first.map { signature(of: record, fields: $0.key.map(\.field)) } ?? "" })
        return writes.map { write in present.contains(signature(write.key.map(\.value))) }
    }

    private static func signature(of record: JSONValue, fields: [String]) -> String {
        signature(fields.map { record[$0] ?? .null })
    }

    private static func signature(_ values: [JSONValue]) -> String {
        values.map { $0.text.lowercased() }.joined(separator: "\u{1F}")
    }
}
