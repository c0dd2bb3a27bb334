import Foundation
import SwitchboardEngine
import SwitchboardModel

/// The wire forms of gathered writes: a `$batch` body with one `application/http` part per write
/// (no change sets, so each write succeeds or fails on its own), its answer read part by part,
/// and the bulk messages' bodies.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
/// https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations
enum DataverseBatch {
    /// The `$batch` body: each write as a part addressed by the path after the host, as the documentation's examples do.
    static func body(_ writes: [DataverseRequests.Write], boundary: String) -> [UInt8] {
        var body = ""
        for write in writes {
            body += "--\(boundary)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            body += "\(write.method) \(DataverseRequests.root)\(write.resource) HTTP/1.1\r\n"
            for (name, value) in write.headers { body += "\(name): \(value)\r\n" }
            body += "\r\n" + String(decoding: write.body, as: UTF8.self) + "\r\n"
        }
        body += "--\(boundary)--\r\n"
        return Array(body.utf8)
    }

    /// Writes grouped by the bulk message that can carry them and their table, in order of first
    /// appearance; `members` are positions in `writes`, `action` nil for writes no bulk message carries (deletes).
    static func bulkGroups(_ writes: [DataverseRequests.Write]) -> [(action: String?, table: String, members: [Int])] {
        var groups: [(action: String?, table: String, members: [Int])] = []
        for (index, write) in writes.enumerated() {
            let action = write.bulkAction
            if let at = groups.firstIndex(where: { $0.action == action && $0.table == write.write.table }) {
                groups[at].members.append(index)
            } else {
                groups.append((action, write.write.table, [index]))
            }
        }
        return groups
    }

    /// `{"Targets": [...]}`: each record with its `@odata.type` and, but for a create, the
    /// `@odata.id` naming the record it addresses (`salesorders(ordernumber='SO-1')`).
    static func bulkBody(_ writes: [DataverseRequests.Write], logicalName: String) -> [UInt8] {
        let targets: [JSONValue] = writes.map { write in
            var fields = write.record ?? [:]
            fields["@odata.type"] = .string("Microsoft.Dynamics.CRM.\(logicalName)")
            if write.write.operation != .create { fields["@odata.id"] = .string(write.resource.removingPercentEncoding ?? write.resource) }
            return .object(fields)
        }
        return JSONValue.object(["Targets": .array(targets)]).serialized()
    }
}
