import Foundation
import SwitchboardEngine
import SwitchboardModel

/// Gathers writes that arrive together into one `$batch` request, and hands each its own answer.
///
/// A write waits at most `wait` for others (or until `size` are gathered). The batch has no change
/// sets and asks `Prefer: odata.continue-on-error`, so every write succeeds or fails on its own:
/// one bad record is answered with its error while the others are written. When the batch as a
/// whole is refused (a `429`, a `5xx`, a broken connection), every write in it gets that answer.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
actor DataverseBatcher {
    typealias Send = @Sendable (_ body: [UInt8], _ boundary: String) async -> (outcome: TransportOutcome, contentType: String?, body: [UInt8])
    typealias Pending = (request: OutboundRequest, reply: CheckedContinuation<TransportOutcome, Never>)

    /// How the batcher reaches the service for the bulk messages: sends one (URL, JSON body) and
    /// tells a table's logical name from its entity set.
    struct Bulk: Sendable {
        var send: @Sendable (_ url: String, _ body: [UInt8]) async -> TransportOutcome
        var logicalName: @Sendable (_ entitySet: String) async -> String?
        /// The Web API root, for example `https://contoso.crm.dynamics.com/api/data/v9.2/`.
        var webAPI: String
    }

    private let size: Int
    private let wait: Duration
    private let send: Send
    private let bulk: Bulk?
    private var pending: [Pending] = []
    private var flushScheduled = false

    /// - Parameter bulk: Set to send writes of one kind to one table as one bulk message.
    init(size: Int, wait: Duration, bulk: Bulk? = nil, send: @escaping Send) {
        self.size = size
        self.wait = wait
        self.bulk = bulk
        self.send = send
    }

    func submit(_ request: OutboundRequest) async -> TransportOutcome {
        await withCheckedContinuation { reply in
            pending.append((request, reply))
            if pending.count >= size {
                let batch = takeBatch()
                Task { await self.deliver(batch) }
            } else if !flushScheduled {
                flushScheduled = true
                Task {
                    try? await Task.sleep(for: wait)
                    await self.flushDue()
                }
            }
        }
    }

    private func takeBatch() -> [Pending] {
        let batch = Array(pending.prefix(size))
        pending.removeFirst(batch.count)
        return batch
    }

    private func flushDue() async {
        flushScheduled = false
        while !pending.isEmpty {
            let batch = takeBatch()
            Task { await self.deliver(batch) }
        }
    }

    private func deliver(_ batch: [Pending]) async {
        guard let bulk else { return await deliverAsBatch(batch) }
        var rest: [Pending] = []
        for (kind, group) in Self.bulkGroups(batch) {
            guard let kind, group.count > 1, let logical = await bulk.logicalName(kind.entitySet) else {
                rest += group
                continue
            }
            let targets: [JSONValue] = group.map { item in
                var fields: [String: JSONValue] = [:]
                if case .object(let body)? = try? JSONValue(json: item.request.body) { fields = body }
                fields["@odata.type"] = .string("Microsoft.Dynamics.CRM.\(logical)")
                if let reference = kind.reference(item.request) { fields["@odata.id"] = .string(reference) }
                return .object(fields)
            }
            let url = "\(bulk.webAPI)\(kind.entitySet)/Microsoft.Dynamics.CRM.\(kind.action)"
            let outcome = await bulk.send(url, JSONValue.object(["Targets": .array(targets)]).serialized())
            switch outcome {
            case .response(let status, _, _) where (200..<300).contains(status):
                for item in group { item.reply.resume(returning: .response(status: 204, retryAfter: nil, body: "")) }
            case .response(let status, _, _) where (400..<500).contains(status) && status != 429:
                // One record (or more) is refused and the message changed nothing: send the writes
                // again one by one inside a $batch, so each gets its own answer.
                rest += group
            default:
                for item in group { item.reply.resume(returning: outcome) }
            }
        }
        if !rest.isEmpty { await deliverAsBatch(rest) }
    }

    /// A bulk message's name and table, for writes that one can carry.
    struct BulkKind: Hashable {
        var action: String
        var entitySet: String

        /// `@odata.id` naming the record a write addresses (`salesorders(ordernumber='SO-1')`); nil for a create.
        func reference(_ request: OutboundRequest) -> String? {
            guard action != "CreateMultiple", let range = request.path.range(of: "/api/data/v9.2/") else { return nil }
            let tail = String(request.path[range.upperBound...])
            return tail.removingPercentEncoding ?? tail
        }
    }

    /// Writes grouped by the bulk message that can carry them (nil: none can, a delete), in order.
    static func bulkGroups(_ batch: [Pending]) -> [(BulkKind?, [Pending])] {
        var order: [BulkKind?] = []
        var groups: [BulkKind?: [Pending]] = [:]
        for item in batch {
            let kind = bulkKind(item.request)
            if groups[kind] == nil { order.append(kind) }
            groups[kind, default: []].append(item)
        }
        return order.map { ($0, groups[$0]!) }
    }

    static func bulkKind(_ request: OutboundRequest) -> BulkKind? {
        guard let range = request.path.range(of: "/api/data/v9.2/") else { return nil }
        let tail = request.path[range.upperBound...]
        let entitySet = String(tail.prefix { $0 != "(" && $0 != "/" && $0 != "?" })
        let addressed = tail.dropFirst(entitySet.count).hasPrefix("(")
        switch (request.method, addressed) {
        case ("POST", false): return BulkKind(action: "CreateMultiple", entitySet: entitySet)
        case ("PATCH", true): return BulkKind(action: request.header("If-Match") == nil ? "UpsertMultiple" : "UpdateMultiple", entitySet: entitySet)
        default: return nil
        }
    }

    private func deliverAsBatch(_ batch: [Pending]) async {
        let boundary = "batch_\(UUID().uuidString.lowercased())"
        var body = ""
        for (request, _) in batch {
            body += "--\(boundary)\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            // Parts address the Web API by the path after the host, as the documentation's examples do.
            let path = request.url.range(of: "/api/data/").map { String(request.url[$0.lowerBound...]) } ?? request.path
            body += "\(request.method) \(path) HTTP/1.1\r\n"
            for (name, value) in request.headers { body += "\(name): \(value)\r\n" }
            body += "\r\n" + String(decoding: request.body, as: UTF8.self) + "\r\n"
        }
        body += "--\(boundary)--\r\n"
        let (outcome, contentType, responseBody) = await send(Array(body.utf8), boundary)
        guard case .response(200, _, _) = outcome, let parts = Self.parts(responseBody, contentType: contentType), parts.count == batch.count else {
            let whole: TransportOutcome
            if case .response(200, let retryAfter, _) = outcome {
                whole = .response(status: 502, retryAfter: retryAfter, body: "the $batch answer could not be read as one part per request")
            } else {
                whole = outcome
            }
            for (_, reply) in batch { reply.resume(returning: whole) }
            return
        }
        for ((_, reply), part) in zip(batch, parts) { reply.resume(returning: part) }
    }

    /// Each `application/http` part of a batch answer as an outcome, in order.
    static func parts(_ body: [UInt8], contentType: String?) -> [TransportOutcome]? {
        guard let contentType, let range = contentType.range(of: "boundary=") else { return nil }
        let boundary = contentType[range.upperBound...].split(separator: ";").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) } ?? ""
        let text = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        let sections = text.components(separatedBy: "--\(boundary)--")[0].components(separatedBy: "--\(boundary)").dropFirst()
        return sections.compactMap { section -> TransportOutcome? in
            // MIME headers, a blank line, the status line, headers, a blank line, the body.
            let pieces = section.trimmingCharacters(in: .newlines).components(separatedBy: "\n\n")
            guard pieces.count >= 2 else { return nil }
            let http = pieces[1...].joined(separator: "\n\n")
            let lines = http.split(separator: "\n", omittingEmptySubsequences: false)
            guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/"), let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { return nil }
            var retryAfter: String?
            for line in lines.dropFirst() {
                if line.isEmpty { break }
                if line.lowercased().hasPrefix("retry-after:") { retryAfter = line.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces) }
            }
            let partBody = http.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
            return .response(status: status, retryAfter: retryAfter, body: partBody)
        }
    }
}
