import Foundation
import SwitchboardValues

/// `POST $batch`: a multipart/mixed body of requests and change sets.
///
/// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api:
/// up to 1,000 requests, run in order; a change set is atomic (all or none) and its parts may
/// refer to an earlier part's record as `$n` by `Content-ID`; GET is not allowed in a change set.
/// Without `Prefer: odata.continue-on-error` the batch stops at the first failure and the whole
/// answer is `400` with that failure; with it, the answer is `200` with every part's outcome.
/// The response delimits parts with `batchresponse_<id>` and `changesetresponse_<id>`.
package enum Batch {
    /// The documented maximum of requests in one batch.
    static let maxRequests = 1_000

    package struct Part {
        var contentID: String?
        var method: String
        var target: String
        var headers: [String: String]
        var body: [UInt8]
    }

    package enum Item {
        case request(Part)
        case changeSet([Part])
    }

    static func handle(_ request: WebAPIRequest, api: WebAPI, baseURL: String, user: ApplicationUser) -> WebAPIResponse {
        guard request.method == "POST" else {
            return .error(DataverseError(status: 405, code: DataverseError.odataCode, message: "A $batch request must use POST."))
        }
        let items: [Item]
        do throws(DataverseError) {
            guard let boundary = boundary(request.header("Content-Type")) else {
                throw DataverseError.badRequest("The $batch request needs 'Content-Type: multipart/mixed; boundary=batch_<id>'.")
            }
            items = try parseBatch(request.body, boundary: boundary)
        } catch {
            return .error(error)
        }
        let count = items.reduce(0) { total, item in
            switch item {
            case .request: total + 1
            case .changeSet(let parts): total + parts.count
            }
        }
        guard count <= maxRequests else {
            return .error(.badRequest("The number of requests in the batch (\(count)) exceeds the limit of \(maxRequests)."))
        }
        let continueOnError = Preferences(request.header("Prefer")).continueOnError
        let batchBoundary = "batchresponse_\(UUID().uuidString.lowercased())"
        var output = ""
        for item in items {
            switch item {
            case .request(let part):
                let answer = run(part, api: api, baseURL: baseURL, user: user, references: [:])
                if answer.status >= 400, !continueOnError {
                    return finish(
                        "--\(batchBoundary)\r\n" + httpPart(answer, contentID: part.contentID), boundary: batchBoundary, status: 400,
                        operations: count)
                }
                output += "--\(batchBoundary)\r\n" + httpPart(answer, contentID: part.contentID)
            case .changeSet(let parts):
                let changeBoundary = "changesetresponse_\(UUID().uuidString.lowercased())"
                do throws(ChangeSetFailure) {
                    let answers = try api.store.transaction { tables throws(ChangeSetFailure) -> [(Part, WebAPIResponse)] in
                        var references: [String: String] = [:]
                        var answers: [(Part, WebAPIResponse)] = []
                        for part in parts {
                            guard part.method != "GET" else {
                                throw ChangeSetFailure(
                                    part: part, answer: .error(.badRequest("GET requests are not allowed in a change set; send them outside it.")))
                            }
                            let answer = run(part, api: api, baseURL: baseURL, user: user, references: references, tables: &tables)
                            if answer.status >= 400 { throw ChangeSetFailure(part: part, answer: answer) }
                            if let id = part.contentID, let entity = answer.header("OData-EntityId") ?? answer.header("Location") {
                                references[id] = entity
                            }
                            answers.append((part, answer))
                        }
                        return answers
                    }
                    var section = "--\(batchBoundary)\r\nContent-Type: multipart/mixed; boundary=\(changeBoundary)\r\n\r\n"
                    for (part, answer) in answers { section += "--\(changeBoundary)\r\n" + httpPart(answer, contentID: part.contentID) }
                    output += section + "--\(changeBoundary)--\r\n"
                } catch {
                    // The whole change set was rolled back; its answer is the failure.
                    let answer = error.answer
                    let contentID = error.part.contentID
                    if !continueOnError {
                        return finish(
                            "--\(batchBoundary)\r\n" + httpPart(answer, contentID: contentID), boundary: batchBoundary, status: 400, operations: count
                        )
                    }
                    output += "--\(batchBoundary)\r\n" + httpPart(answer, contentID: contentID)
                }
            }
        }
        return finish(output, boundary: batchBoundary, status: 200, operations: count)
    }

    /// A change set's failing part and its answer; thrown out of the transaction to roll it back.
    struct ChangeSetFailure: Error {
        var part: Part
        var answer: WebAPIResponse
    }

    private static func run(_ part: Part, api: WebAPI, baseURL: String, user: ApplicationUser, references: [String: String]) -> WebAPIResponse {
        do {
            return try api.store.write { tables throws(DataverseError) in
                run(part, api: api, baseURL: baseURL, user: user, references: references, tables: &tables)
            }
        } catch {
            return .error(error)
        }
    }

    private static func run(
        _ part: Part, api: WebAPI, baseURL: String, user: ApplicationUser, references: [String: String], tables: inout RecordTables
    ) -> WebAPIResponse {
        do throws(DataverseError) {
            var target = part.target
            // $n refers to the record an earlier part of the change set created.
            if target.hasPrefix("$") {
                let name = String(target.dropFirst().prefix { $0.isNumber })
                guard let entity = references[name] else {
                    throw DataverseError.badRequest("Content-ID Reference: '$\(name)' does not exist in the batch context.")
                }
                target = entity + target.dropFirst(name.count + 1)
            }
            guard let (path, query) = resourcePath(target, baseURL: baseURL) else {
                throw DataverseError.badRequest("The request line '\(part.method) \(part.target)' does not address this service's Web API.")
            }
            var body = part.body
            if !references.isEmpty, !body.isEmpty {
                var text = String(decoding: body, as: UTF8.self)
                for (name, entity) in references.sorted(by: { $0.key.count > $1.key.count }) {
                    text = text.replacingOccurrences(of: "\"$\(name)\"", with: "\"\(entity)\"")
                }
                body = Array(text.utf8)
            }
            let request = WebAPIRequest(method: part.method, resourcePath: path, query: query, headers: part.headers, body: body)
            return try api.route(request, baseURL: baseURL, user: user, tables: &tables)
        } catch {
            return .error(error)
        }
    }

    /// `/api/data/v9.2/accounts?x`, `https://host/api/data/v9.2/accounts`, or `accounts` → path and query.
    static func resourcePath(_ target: String, baseURL: String) -> (String, [(String, String)])? {
        var text = Substring(target)
        if let range = text.range(of: "/api/data/") {
            text = text[range.upperBound...]
            guard let slash = text.firstIndex(of: "/") else { return nil }
            text = text[text.index(after: slash)...]
        } else if text.hasPrefix("http") {
            return nil
        }
        let pieces = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(pieces[0]).removingPercentEncoding ?? String(pieces[0])
        return (path, pieces.count > 1 ? WebAPIRequest.parseQuery(String(pieces[1])) : [])
    }

    // MARK: - Multipart

    package static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/mixed") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    package static func parseBatch(_ body: [UInt8], boundary: String) throws(DataverseError) -> [Item] {
        var items: [Item] = []
        for (index, section) in try sections(String(decoding: body, as: UTF8.self), boundary: boundary).enumerated() {
            let (headers, content) = splitHeaders(section)
            if let inner = Self.boundary(headers["content-type"]) {
                let parts = try sections(content, boundary: inner).enumerated().map { offset, text throws(DataverseError) in
                    try request(text, where: "change set in part \(index + 1), request \(offset + 1)")
                }
                items.append(.changeSet(parts))
            } else {
                items.append(.request(try request(section, where: "part \(index + 1)")))
            }
        }
        return items
    }

    /// The text between `--boundary` lines, without the closing `--boundary--`.
    private static func sections(_ text: String, boundary: String) throws(DataverseError) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let delimiter = "--\(boundary)"
        guard normalized.contains(delimiter + "--") else {
            throw DataverseError.badRequest("The batch body does not end with '--\(boundary)--'.")
        }
        let body = normalized.components(separatedBy: delimiter + "--")[0]
        return body.components(separatedBy: delimiter).dropFirst().map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\n")) }
    }

    /// One `application/http` part: its MIME headers, then the request line, headers and body.
    private static func request(_ section: String, where location: String) throws(DataverseError) -> Part {
        let (mimeHeaders, http) = splitHeaders(section)
        guard mimeHeaders["content-type"]?.lowercased().hasPrefix("application/http") == true else {
            throw DataverseError.badRequest("The \(location) of the batch must have 'Content-Type: application/http'.")
        }
        let lines = http.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2, ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(String(requestLine[0])) else {
            throw DataverseError.badRequest(
                "The \(location) of the batch does not start with a request line such as 'POST /api/data/v9.2/accounts HTTP/1.1'.")
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

    private static func httpPart(_ answer: WebAPIResponse, contentID: String?) -> String {
        var text = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        if let contentID { text += "Content-ID: \(contentID)\r\n" }
        text += "\r\nHTTP/1.1 \(answer.status) \(reason(answer.status))\r\n"
        for (name, value) in answer.headers { text += "\(name): \(value)\r\n" }
        if let entity = answer.header("OData-EntityId"), answer.header("Location") == nil { text += "Location: \(entity)\r\n" }
        text += "\r\n" + String(decoding: answer.body, as: UTF8.self) + "\r\n"
        return text
    }

    private static func finish(_ output: String, boundary: String, status: Int, operations: Int) -> WebAPIResponse {
        var response = WebAPIResponse(
            status: status, headers: WebAPIResponse.odataHeaders + [("Content-Type", "multipart/mixed; boundary=\(boundary)")],
            body: Array((output + "--\(boundary)--\r\n").utf8))
        response.operations = max(1, operations)
        return response
    }

    private static func reason(_ status: Int) -> String {
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
        case 429: "Too Many Requests"
        default: "Status"
        }
    }
}
