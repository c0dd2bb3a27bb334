import Foundation
import ODataMultipart
import SwitchboardValues

/// `POST /data/$batch`: requests and change sets in `multipart/mixed`, as the service takes them
/// (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/odata).
///
/// - A change set is atomic: "either all the requests are run successfully or, if any request
///   fails, none of the requests are run successfully".
/// - At most 5,000 operations ("In finance and operations apps, batch size is limited to 5,000
///   operations", https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/data-entities/service-protection-maximizing-api-throughput);
///   more are refused with the OData library's sentence, before any runs.
/// - The answer is `200` whatever fails inside: a failed change set answers with one part, the
///   failing request's, inside its `changesetresponse` boundary (as captured from the service);
///   the batch goes on with the next item (what the service does without
///   `odata.continue-on-error` is unconfirmed).
enum ServiceBatch {
    static let maxOperations = 5_000

    static func run(_ request: ServiceRequest, service: DataService) throws(ServiceError) -> ServiceResponse {
        guard let boundary = MultipartBatch.boundary(request.header("content-type")) else {
            throw .badRequest("The $batch request needs 'Content-Type: multipart/mixed; boundary=batch_<id>'.")
        }
        let items: [MultipartBatch.Item]
        do throws(BatchSyntaxError) {
            items = try MultipartBatch.parse(request.body, boundary: boundary, example: "POST CustomersV3 HTTP/1.1")
        } catch {
            throw .badRequest(error.message)
        }
        let count = items.reduce(0) { total, item in
            switch item {
            case .request: total + 1
            case .changeSet(let parts): total + parts.count
            }
        }
        guard count <= maxOperations else {
            throw .badRequest("The current change set contains too many operations. A maximum number of '\(maxOperations)' operations are allowed in a change set.")
        }
        let batchBoundary = "batchresponse_\(UUID().uuidString.lowercased())"
        var output = ""
        for item in items {
            switch item {
            case .request(let part):
                let answer = run(part, request, service: service)
                output += "--\(batchBoundary)\r\n" + MultipartBatch.httpPart(status: answer.status, headers: answer.headers, body: answer.body, contentID: part.contentID)
            case .changeSet(let parts):
                let changeBoundary = "changesetresponse_\(UUID().uuidString.lowercased())"
                let before = service.records.snapshot()
                let raisedBefore = service.pendingEvents
                var answers: [(MultipartBatch.Part, ServiceResponse)] = []
                for part in parts {
                    let answer =
                        part.method == "GET"
                        ? ServiceResponse.error(.badRequest("GET requests are not allowed in a change set; send them outside it."))
                        : run(part, request, service: service)
                    answers.append((part, answer))
                    if answer.status >= 400 { break }
                }
                if let failed = answers.last, failed.1.status >= 400 {
                    service.records.restore(before)
                    service.dropEvents(since: raisedBefore)
                    answers = [failed]
                } else {
                    service.records.keep(before)
                }
                var section = "--\(batchBoundary)\r\nContent-Type: multipart/mixed; boundary=\(changeBoundary)\r\n\r\n"
                for (part, answer) in answers {
                    section += "--\(changeBoundary)\r\n"
                        + MultipartBatch.httpPart(status: answer.status, headers: answer.headers, body: answer.body, contentID: part.contentID)
                }
                output += section + "--\(changeBoundary)--\r\n"
            }
        }
        return ServiceResponse(
            status: 200, headers: [("Content-Type", "multipart/mixed; boundary=\(batchBoundary)"), ("OData-Version", "4.0")],
            body: Array((output + "--\(batchBoundary)--\r\n").utf8))
    }

    /// One part as a request of its own, with the batch's caller: its target relative to the
    /// service root (`CustomersV3?cross-company=true`), a path (`/data/CustomersV3`) or a URL.
    private static func run(_ part: MultipartBatch.Part, _ batch: ServiceRequest, service: DataService) -> ServiceResponse {
        var target = Substring(part.target)
        if target.hasPrefix(batch.root) { target = target.dropFirst(batch.root.count) }
        if !target.hasPrefix("/") { target = "/data/" + target }
        let path = target.prefix { $0 != "?" }
        let query = target.dropFirst(path.count + 1)
        guard !path.hasSuffix("$batch") else { return .error(.badRequest("A batch cannot hold another $batch.")) }
        return service.answer(
            ServiceRequest(
                method: part.method, path: String(path).removingPercentEncoding ?? String(path), query: QueryString.parse(String(query)),
                headers: part.headers.map { ($0.key, $0.value) }, body: part.body, root: batch.root, company: batch.company))
    }
}
