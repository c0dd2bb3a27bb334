import Foundation
import SwitchboardEngine
import SwitchboardModel

/// `switchboard audit`.
extension Operations {
    public func audit(_ filter: AuditFilter, json: Bool) async throws -> String {
        let records = try await store.audit(matching: filter)
        if json { return JSONValue.array(records.map(Self.auditJSON)).jsonString }
        guard !records.isEmpty else { return "no audit records match" }
        return records.map(Self.auditLine).joined(separator: "\n")
    }
}
