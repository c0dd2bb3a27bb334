import Foundation
import ODataMultipart
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

    package typealias Part = MultipartBatch.Part
    package typealias Item = MultipartBatch.Item

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

    package static func boundary(_ contentType: String?) -> String? { MultipartBatch.boundary(contentType) }

    package static func parseBatch(_ body: [UInt8], boundary: String) throws(DataverseError) -> [Item] {
        do throws(BatchSyntaxError) {
            return try MultipartBatch.parse(body, boundary: boundary, example: "POST /api/data/v9.2/accounts HTTP/1.1")
        } catch {
            throw .badRequest(error.message)
        }
    }

    private static func httpPart(_ answer: WebAPIResponse, contentID: String?) -> String {
        var headers = answer.headers
        if let entity = answer.header("OData-EntityId"), answer.header("Location") == nil { headers.append(("Location", entity)) }
        return MultipartBatch.httpPart(status: answer.status, headers: headers, body: answer.body, contentID: contentID)
    }

    private static func finish(_ output: String, boundary: String, status: Int, operations: Int) -> WebAPIResponse {
        var response = WebAPIResponse(
            status: status, headers: WebAPIResponse.odataHeaders + [("Content-Type", "multipart/mixed; boundary=\(boundary)")],
            body: Array((output + "--\(boundary)--\r\n").utf8))
        response.operations = max(1, operations)
        return response
    }
}
