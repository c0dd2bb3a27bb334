import Foundation
import SwitchboardEngine

/// Gathers writes that arrive together into one `$batch` request, and hands each its own answer.
///
/// A write waits at most `wait` for others (or until `size` are gathered). The batch has no change
/// sets and asks `Prefer: odata.continue-on-error`, so every write succeeds or fails on its own:
/// one bad record is answered with its error while the others are written. When the batch as a
/// whole is refused (a `429`, a `5xx`, a broken connection), every write in it gets that answer.
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
actor DataverseBatcher {
    typealias Send = @Sendable (_ body: [UInt8], _ boundary: String) async -> (outcome: TransportOutcome, contentType: String?, body: [UInt8])

    private let size: Int
    private let wait: Duration
    private let send: Send
    private var pending: [(request: OutboundRequest, reply: CheckedContinuation<TransportOutcome, Never>)] = []
    private var flushScheduled = false

    init(size: Int, wait: Duration, send: @escaping Send) {
        self.size = size
        self.wait = wait
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

    private func takeBatch() -> [(request: OutboundRequest, reply: CheckedContinuation<TransportOutcome, Never>)] {
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

    private func deliver(_ batch: [(request: OutboundRequest, reply: CheckedContinuation<TransportOutcome, Never>)]) async {
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
