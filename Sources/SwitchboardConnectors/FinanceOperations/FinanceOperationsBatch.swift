import SwitchboardEngine

/// The `$batch` body of gathered writes: each write its own change set of one `application/http`
/// part, so a refused write rolls back only itself and every write has its own answer. Parts
/// address their records by the full URL, as the service's captured batches do.
/// https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/data-entities/odata (Batch requests)
enum FinanceOperationsBatch {
    static func body(
        _ writes: [(write: FinanceOperationsRequests.Write, action: FinanceOperationsRequests.Action)], boundary: String, environmentURL: String
    ) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(writes.count * 512)
        for (number, (write, action)) in writes.enumerated() {
            let changeSet = "changeset_\(boundary.dropFirst("batch_".count))_\(number)"
            var part = "--\(boundary)\r\nContent-Type: multipart/mixed; boundary=\(changeSet)\r\n\r\n"
            part += "--\(changeSet)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \(number + 1)\r\n\r\n"
            part += "\(write.method(action)) \(environmentURL)\(FinanceOperationsRequests.root)\(write.resource(action)) HTTP/1.1\r\n"
            for (name, value) in write.headers(action) { part += "\(name): \(value)\r\n" }
            part += "\r\n"
            body += Array(part.utf8)
            body += write.body(action)
            body += Array("\r\n--\(changeSet)--\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }
}
