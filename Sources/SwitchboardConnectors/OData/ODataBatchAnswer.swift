import Foundation
import SwitchboardEngine

/// The answer to an OData `$batch` in `multipart/mixed`, read part by part: each
/// `application/http` part as an outcome, in order, with the parts of a change set's
/// `multipart/mixed` answer in their place. A change set that failed answers with one part (its
/// failing request's), so a caller that sends each write in its own change set gets one outcome per write.
/// https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html (11.7.4)
enum ODataBatchAnswer {
    static func parts(_ body: [UInt8], contentType: String?) -> [TransportOutcome]? {
        guard let boundary = boundary(contentType) else { return nil }
        return parts(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n"), boundary: boundary)
    }

    private static func boundary(_ contentType: String?) -> String? {
        guard let contentType, let range = contentType.range(of: "boundary=", options: .caseInsensitive) else { return nil }
        return contentType[range.upperBound...].split(separator: ";").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
    }

    private static func parts(_ text: String, boundary: String) -> [TransportOutcome] {
        let sections = text.components(separatedBy: "--\(boundary)--")[0].components(separatedBy: "--\(boundary)").dropFirst()
        return sections.flatMap { section -> [TransportOutcome] in
            // MIME headers, a blank line, then either a change set's own multipart answer or the
            // status line, headers, a blank line, the body.
            let pieces = section.trimmingCharacters(in: .newlines).components(separatedBy: "\n\n")
            guard pieces.count >= 2 else { return [] }
            let mimeHeaders = pieces[0].split(separator: "\n").first { $0.lowercased().hasPrefix("content-type:") }
            if let mimeHeaders, mimeHeaders.lowercased().contains("multipart/mixed"), let inner = Self.boundary(String(mimeHeaders)) {
                return parts(pieces[1...].joined(separator: "\n\n"), boundary: inner)
            }
            let http = pieces[1...].joined(separator: "\n\n")
            let lines = http.split(separator: "\n", omittingEmptySubsequences: false)
            guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/"),
                let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
            else { return [] }
            var retryAfter: String?
            for line in lines.dropFirst() {
                if line.isEmpty { break }
                if line.lowercased().hasPrefix("retry-after:") {
                    retryAfter = line.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            let partBody = http.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
            return [.response(status: status, retryAfter: retryAfter, body: partBody)]
        }
    }
}
