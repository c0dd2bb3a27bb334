import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardEngine
import SwitchboardModel

/// Delivers record writes to one Finance & Operations environment through its OData service, as
/// its registered Microsoft Entra applications.
///
/// Guarantees: every HTTP request (a write, a `$batch`, the read before upserts) goes through
/// the system's budget once (`SystemBudget.metered`), whose concurrency adapts to the `429`s it
/// sees. A `429` with `Retry-After` pauses the application that got it; with several
/// applications the others carry on and the write is retried at once on another, with one it
/// waits as long as it was told. With `batch_size` above 1 the engine gathers writes and they go
/// in one `$batch`, each in its own change set, so each succeeds or fails alone and has its own
/// answer. Upserts read their records first (`FinanceOperationsLookup`, one `GET` per twenty)
/// and then update or create. Answers are classified by `FinanceOperationsErrors`: a write the
/// entity refused is dead with its infolog; throttling and passing faults retry.
public final class FinanceOperationsConnector: Connector {
    private let client: HTTPClient
    private let settings: FinanceOperationsConnectionSettings
    private let environmentURL: String
    private let applications: EntraApplications
    private let budget: SystemBudget
    public let connectionPoolSize: Int?
    /// Response bodies kept for the audit log. 4 KiB.
    public let maxRecordedBody = 4096

    /// - Parameters:
    ///   - environmentURL: For example `https://contoso.operations.dynamics.com`.
    ///   - budget: Taken once per HTTP request. Default none: unlimited.
    public init(
        environmentURL: String, settings: FinanceOperationsConnectionSettings, maxConnections: Int = 16, budget: SystemBudget? = nil
    ) throws {
        let budget = budget ?? SystemBudget(systemID: environmentURL, limits: SystemLimits(), clock: SystemClock())
        self.budget = budget
        client = OutboundClient.make(maxConnectionsPerHost: maxConnections, connectTimeout: settings.connectTimeout, caFile: settings.caFile)
        connectionPoolSize = maxConnections
        self.settings = settings
        let url = environmentURL.hasSuffix("/") ? String(environmentURL.dropLast()) : environmentURL
        self.environmentURL = url
        // The token's resource is the environment URL without a trailing slash.
        applications = EntraApplications(
            [(settings.clientID, settings.clientSecret)] + settings.additionalApplications, authority: settings.authority,
            tenant: settings.tenant, scope: "\(url)/.default", noun: "application", client: client, budget: budget,
            connectTimeout: settings.connectTimeout)
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    public var batching: BatchingPolicy? {
        settings.batchSize > 1 ? BatchingPolicy(size: settings.batchSize, wait: settings.batchWait) : nil
    }

    public func send(_ delivery: Delivery, timeout: Duration) async -> TransportOutcome {
        await attempt(delivery, timeout: timeout).outcome
    }

    public func send(batch: [Delivery], timeout: Duration) async -> [TransportOutcome] {
        await attempt(batch: batch, timeout: timeout).map(\.outcome)
    }

    public func attempt(_ delivery: Delivery, timeout: Duration) async -> Attempt {
        let write: FinanceOperationsRequests.Write
        do {
            write = try FinanceOperationsRequests.write(for: delivery, defaultCompany: settings.defaultCompany)
        } catch {
            return Attempt(.unsendable(error.message))
        }
        let application = write.write.application
        var exists: Bool?
        if write.write.operation == .upsert {
            switch await existing([write], timeout: timeout, application: application) {
            case .success(let found): exists = found[0]
            case .failure(let answer): return Attempt(answer.outcome)
            }
        }
        let action = write.action(exists: exists)
        var request = write.request(action, environmentURL: environmentURL)
        if let traceparent = delivery.traceparent { request.headers.append(("traceparent", traceparent)) }
        let outcome = await sendOne(request, timeout: timeout, application: application)
        return Attempt(FinanceOperationsErrors.classify(outcome, action: action, upsert: write.write.operation == .upsert), sent: request)
    }

    /// The writes in one `$batch`, each in its own change set, after one read per twenty upserts.
    /// Writes declared to go as one application go in batches of their own, as it.
    public func attempt(batch: [Delivery], timeout: Duration) async -> [Attempt] {
        let declared = batch.map { ($0.target as? FinanceOperationsWrite)?.application }
        guard Set(declared).count > 1 else { return await attempt(batch: batch, timeout: timeout, application: declared.first ?? nil) }
        var attempts = [Attempt?](repeating: nil, count: batch.count)
        for application in Set(declared) {
            let indexes = declared.indices.filter { declared[$0] == application }
            for (index, attempt) in zip(indexes, await attempt(batch: indexes.map { batch[$0] }, timeout: timeout, application: application)) {
                attempts[index] = attempt
            }
        }
        return attempts.map { $0 ?? Attempt(.connectionFailed("the write got no answer")) }
    }

    private func attempt(batch: [Delivery], timeout: Duration, application: String?) async -> [Attempt] {
        var outcomes = [TransportOutcome?](repeating: nil, count: batch.count)
        var writes: [(index: Int, write: FinanceOperationsRequests.Write)] = []
        for (index, delivery) in batch.enumerated() {
            do {
                writes.append((index, try FinanceOperationsRequests.write(for: delivery, defaultCompany: settings.defaultCompany)))
            } catch {
                outcomes[index] = .unsendable(error.message)
            }
        }
        // The upserts' reads; a write whose read failed answers what the read did.
        var exists = [Bool?](repeating: nil, count: writes.count)
        let upserts = writes.indices.filter { writes[$0].write.write.operation == .upsert }
        if !upserts.isEmpty {
            let read = await existing(upserts.map { writes[$0].write }, timeout: timeout, application: application)
            switch read {
            case .success(let found): for (position, found) in zip(upserts, found) { exists[position] = found }
            case .failure(let answer):
                for position in upserts { outcomes[writes[position].index] = answer.outcome }
            }
        }
        let ready = writes.indices.filter { outcomes[writes[$0].index] == nil }
        let actions = ready.map { writes[$0].write.action(exists: exists[$0]) }
        if !ready.isEmpty {
            let answers = await sendBatch(zip(ready, actions).map { (writes[$0].write, $1) }, timeout: timeout, application: application)
            for ((position, action), answer) in zip(zip(ready, actions), answers) {
                let write = writes[position]
                outcomes[write.index] = FinanceOperationsErrors.classify(answer, action: action, upsert: write.write.write.operation == .upsert)
            }
        }
        var requests = [(@Sendable () -> OutboundRequest)?](repeating: nil, count: batch.count)
        let environmentURL = environmentURL
        for (position, action) in zip(ready, actions) {
            let write = writes[position].write
            requests[writes[position].index] = { write.request(action, environmentURL: environmentURL) }
        }
        return zip(outcomes, requests).map { Attempt($0 ?? .connectionFailed("the write got no answer"), request: $1) }
    }

    /// What a read before upserts answered instead of the records: the write answers the same.
    struct ReadFailure: Error {
        var outcome: TransportOutcome
    }

    /// Whether each write's record exists, read `FinanceOperationsLookup.keysPerRequest` at a
    /// time, the reads in parallel.
    private func existing(
        _ writes: [FinanceOperationsRequests.Write], timeout: Duration, application: String?
    ) async -> Result<[Bool], ReadFailure> {
        let groups = FinanceOperationsLookup.groups(writes)
        let environmentURL = environmentURL
        let answers = await withTaskGroup(of: (Int, Result<[Bool], ReadFailure>).self) { tasks in
            for (number, group) in groups.enumerated() {
                let members = group.map { writes[$0] }
                tasks.addTask {
                    let url = FinanceOperationsLookup.url(environmentURL: environmentURL, members)
                    var bytes: [UInt8] = []
                    let outcome = await self.sendOne(
                        Self.request("GET", url), timeout: timeout, application: application, raw: { _, raw in bytes = raw })
                    guard case .response(200, _, _) = outcome else { return (number, .failure(ReadFailure(outcome: outcome))) }
                    guard let found = FinanceOperationsLookup.found(bytes, members) else {
                        return (number, .failure(ReadFailure(outcome: .response(status: 502, retryAfter: nil, body: "the read before the upsert (GET \(url.prefix(200))) did not answer a list of records"))))
                    }
                    return (number, .success(found))
                }
            }
            var answers: [Int: Result<[Bool], ReadFailure>] = [:]
            for await (number, answer) in tasks { answers[number] = answer }
            return answers
        }
        var found = [Bool](repeating: false, count: writes.count)
        for (number, group) in groups.enumerated() {
            switch answers[number] {
            case .success(let flags)?: for (position, flag) in zip(group, flags) { found[position] = flag }
            case .failure(let failure)?: return .failure(failure)
            case nil: return .failure(ReadFailure(outcome: .connectionFailed("the read before the upsert got no answer")))
            }
        }
        return .success(found)
    }

    /// One `$batch` with each write in its own change set; an outcome per write, in order. A
    /// batch refused as a whole (a `429`, a `5xx`, a broken connection, an answer that cannot be
    /// read part by part) gives every write that outcome.
    private func sendBatch(
        _ writes: [(write: FinanceOperationsRequests.Write, action: FinanceOperationsRequests.Action)], timeout: Duration, application: String?
    ) async -> [TransportOutcome] {
        let boundary = "batch_\(UUID().uuidString.lowercased())"
        let body = FinanceOperationsBatch.body(writes, boundary: boundary, environmentURL: environmentURL)
        var contentType: String?
        var bytes: [UInt8] = []
        let outcome = await sendOne(
            Self.request("POST", environmentURL + FinanceOperationsRequests.root + "$batch", headers: [("Content-Type", "multipart/mixed; boundary=\(boundary)")], body: body),
            timeout: timeout, application: application
        ) { type, raw in
            contentType = type
            bytes = raw
        }
        guard case .response(200, let retryAfter, _) = outcome else { return Array(repeating: outcome, count: writes.count) }
        guard let parts = ODataBatchAnswer.parts(bytes, contentType: contentType), parts.count == writes.count else {
            return Array(
                repeating: .response(status: 502, retryAfter: retryAfter, body: "the $batch answer could not be read as one part per write"),
                count: writes.count)
        }
        return parts
    }

    /// A `GET` of a URL under the environment as the next free application, through the budget:
    /// the answer and its whole body (the outcome's body is cut to `maxRecordedBody`).
    func read(_ url: String, timeout: Duration) async -> (outcome: TransportOutcome, body: [UInt8]) {
        var bytes: [UInt8] = []
        let outcome = await sendOne(Self.request("GET", url), timeout: timeout, application: nil) { _, raw in bytes = raw }
        return (outcome, bytes)
    }

    /// The OData service's root, `https://contoso.operations.dynamics.com/data/`.
    var serviceRoot: String { environmentURL + FinanceOperationsRequests.root }

    /// A request of the connector's own (a batch, a read) with the headers every OData request carries.
    private static func request(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = []) -> OutboundRequest {
        OutboundRequest(
            method: method, url: url, path: url,
            headers: [("Accept", "application/json"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0")] + headers, body: body)
    }

    /// One HTTP request as the declared application or the next one not paused, through the budget.
    private func sendOne(
        _ request: OutboundRequest, timeout: Duration, application clientID: String?, raw: ((String?, [UInt8]) -> Void)? = nil
    ) async -> TransportOutcome {
        let application: EntraApplications.Application
        let token: String
        switch await applications.signIn(as: clientID, timeout: timeout) {
        case .success(let signedIn): (application, token) = signedIn
        case .failure(let refusal): return refusal.outcome
        }
        do {
            return try await budget.metered { await self.execute(request, token: token, application: application, timeout: timeout, raw: raw) }
        } catch {
            return .connectionFailed("shutting down before the request was sent")
        }
    }

    private func execute(
        _ request: OutboundRequest, token: String, application: EntraApplications.Application, timeout: Duration,
        raw: ((String?, [UInt8]) -> Void)?
    ) async -> (outcome: TransportOutcome, signals: [SystemBudget.Signal]) {
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = HTTPMethod(rawValue: request.method)
        for (name, value) in settings.headers.sorted(by: { $0.key < $1.key }) { outbound.headers.add(name: name, value: value) }
        for (name, value) in request.headers { outbound.headers.add(name: name, value: value) }
        outbound.headers.add(name: "Authorization", value: "Bearer \(token)")
        if !request.body.isEmpty { outbound.body = .bytes(ByteBuffer(bytes: request.body)) }
        do {
            let response = try await client.execute(outbound, timeout: .milliseconds(timeout.milliseconds))
            let body = try await response.body.collect(upTo: 64 << 20)
            raw?(response.headers.first(name: "Content-Type"), Array(body.readableBytesView))
            let status = Int(response.status.code)
            let text = body.getString(at: body.readerIndex, length: min(body.readableBytes, maxRecordedBody)) ?? ""
            let retryAfter = response.headers.first(name: "Retry-After")
            // A 401 to a token that was valid a moment ago: the next attempt signs in again.
            if status == 401 { await application.tokens.invalidate() }
            if status == 429 {
                applications.pause(application, retryAfter: retryAfter)
                if applications.all.count > 1 {
                    // The others carry on, so the write is retried soon, on one of them.
                    return (.transient(status: 429, retryAfter: nil, body: "application \(application.clientID) throttled: \(text)"), [])
                }
            }
            return (.response(status: status, retryAfter: retryAfter, body: text), [])
        } catch {
            return (OutboundClient.outcome(of: error, url: request.url, connectTimeout: settings.connectTimeout), [])
        }
    }
}
