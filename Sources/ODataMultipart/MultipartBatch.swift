import Foundation

/// An OData `$batch` body in `multipart/mixed` (https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html,
/// section 11.7): requests and change sets of requests, each an `application/http` part; and the
/// parts of its answer. The services' own rules (limits, atomicity, what a failure answers) are theirs.
package enum MultipartBatch {
    package struct Part: Sendable {
        package var contentID: String?
        package var method: String
        /// The request line's target: a path, a path relative to the service root, or a URL.
        package var target: String
        /// Names lower-cased.
        package var headers: [String: String]
        package var body: [UInt8]
    }

    package enum Item: Sendable {
        case request(Part)
        case changeSet([Part])
    }

    /// The `boundary` parameter of a `multipart/mixed` content type.
    package static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/mixed") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    /// The requests and change sets of a `multipart/mixed` batch body; `example` is a request
    /// line of the service, named in the sentence that refuses one that is not.
    package static func parse(_ body: [UInt8], boundary: String, example: String) throws(BatchSyntaxError) -> [Item] {
        var items: [Item] = []
        for (index, section) in try sections(String(decoding: body, as: UTF8.self), boundary: boundary).enumerated() {
            let (headers, content) = splitHeaders(section)
            if let inner = Self.boundary(headers["content-type"]) {
                let parts = try sections(content, boundary: inner).enumerated().map { offset, text throws(BatchSyntaxError) in
                    try request(text, where: "change set in part \(index + 1), request \(offset + 1)", example: example)
                }
                items.append(.changeSet(parts))
            } else {
                items.append(.request(try request(section, where: "part \(index + 1)", example: example)))
            }
        }
        return items
    }

    /// The text between `--boundary` lines, without the closing `--boundary--`.
    private static func sections(_ text: String, boundary: String) throws(BatchSyntaxError) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let delimiter = "--\(boundary)"
        guard normalized.contains(delimiter + "--") else {
            throw BatchSyntaxError(message: "The batch body does not end with '--\(boundary)--'.")
        }
        let body = normalized.components(separatedBy: delimiter + "--")[0]
        return body.components(separatedBy: delimiter).dropFirst().map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\n")) }
    }

    /// One `application/http` part: its MIME headers, then the request line, headers and body.
    private static func request(_ section: String, where location: String, example: String) throws(BatchSyntaxError) -> Part {
        let (mimeHeaders, http) = splitHeaders(section)
        guard mimeHeaders["content-type"]?.lowercased().hasPrefix("application/http") == true else {
            throw BatchSyntaxError(message: "The \(location) of the batch must have 'Content-Type: application/http'.")
        }
        let lines = http.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2, ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(String(requestLine[0])) else {
            throw BatchSyntaxError(message: "The \(location) of the batch does not start with a request line such as '\(example)'.")
        }
        let (headers, body) = splitHeaders(lines.count > 1 ? String(lines[1]) : "")
        return Part(
            contentID: mimeHeaders["content-id"] ?? headers["content-id"], method: String(requestLine[0]), target: String(requestLine[1]),
            headers: headers, body: Array(body.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
    }

    /// Headers (names lower-cased) up to the first blank line, and what follows it.
    private static func splitHeaders(_ text: String) -> ([String: String], String) {
        var headers: [String: String] = [:]
        var rest = Substring(text)
        while let newline = rest.firstIndex(of: "\n") ?? (rest.isEmpty ? nil : rest.endIndex) {
            let line = rest[..<newline]
            rest = newline < rest.endIndex ? rest[rest.index(after: newline)...] : ""
            if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
        }
        return (headers, String(rest))
    }

    /// One answer as an `application/http` part of a batch response.
    package static func httpPart(status: Int, headers: [(String, String)], body: [UInt8], contentID: String?) -> String {
        var text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        if let contentID { text += "Content-ID: \(contentID)\r\n" }
        text += "\r\nHTTP/1.1 \(status) \(reason(status))\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n" + String(decoding: body, as: UTF8.self) + "\r\n"
        return text
    }

    package static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 412: "Precondition Failed"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 429: "Too Many Requests"
        default: "Status"
        }
    }
}

/// A batch body that cannot be read, as one sentence.
package struct BatchSyntaxError: Error, Sendable {
    package var message: String
}
