import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SwitchboardEngine
import SwitchboardModel
import Synchronization

/// Delivers record writes to one Dataverse environment as its application users: signs in with
/// the OAuth 2.0 client-credentials grant, keeps each user's token and renews it before it
/// expires, and builds each Web API request from the delivery's typed `DataverseWrite`.
///
/// Guarantees: at most one token request per user is in flight; a token is renewed when less
/// than a tenth of its lifetime (at least 60 s) is left; a `401` drops the token so the next
/// attempt signs in again. Every HTTP request (a single write, a `$batch` of many, a bulk
/// message, a read) goes through the system's budget once (`SystemBudget.metered`) and reports
/// the service's remaining execution time and recommended parallelism, so the budget counts what
/// the service's limits count. With `batch_size` above 1 the connector asks the engine to gather
/// writes (`batching`) and sends each batch as one `$batch` (no change sets,
/// `Prefer: odata.continue-on-error`, so each write succeeds or fails on its own) or, with
/// `batch_with: multiple`, writes of one kind to one table as one bulk message, sent again as a
/// `$batch` when refused so that only the bad record fails. Throttling (`429` with
/// `Retry-After`), transient faults and validation errors come back to the engine as the service
/// answered them, which retries or dead-letters them.
/// https://learn.microsoft.com/power-apps/developer/data-platform/authenticate-oauth
public final class DataverseConnector: Connector {
    private let client: HTTPClient
    private let settings: DataverseConnectionSettings
    private let environmentURL: String
    /// The application users, signed in in turn; one throttled with `Retry-After` is skipped until its pause ends.
    private let applications: EntraApplications
    /// Response bodies kept for the audit log. Default 4 KiB.
    public let maxRecordedBody = 4096
    /// The environment's budget, shared by every integration writing to it (unlimited when none
    /// was given); it also keeps each user's pause, so a budget shared with other nodes carries it to them.
    private let budget: SystemBudget
    private let lastHint = Mutex<Int?>(nil)
    /// What the metadata says of each table written or read, by entity set name.
    private let tables = Mutex<[String: DataverseTable]>([:])
    public let connectionPoolSize: Int?

    /// The environment's Web API root, for example `https://contoso.crm.dynamics.com/api/data/v9.2/`.
    let webAPI: String

    /// - Parameters:
    ///   - environmentURL: For example `https://contoso.crm.dynamics.com`.
    ///   - settings: The users' credentials, the authorities to trust (`caFile`) and how writes are gathered.
    ///   - budget: Taken once per HTTP request, and told each answer's duration, throttling and
    ///     the service's recommended parallelism (`x-ms-dop-hint`). Default none: unlimited.
    public init(environmentURL: String, settings: DataverseConnectionSettings, maxConnections: Int = 16, budget: SystemBudget? = nil) throws {
        self.budget = budget ?? SystemBudget(systemID: environmentURL, limits: SystemLimits(), clock: SystemClock())
        client = OutboundClient.make(maxConnectionsPerHost: maxConnections, connectTimeout: settings.connectTimeout, caFile: settings.caFile)
        connectionPoolSize = maxConnections
        self.settings = settings
        self.environmentURL = environmentURL.hasSuffix("/") ? String(environmentURL.dropLast()) : environmentURL
        applications = EntraApplications(
            [(settings.clientID, settings.clientSecret)] + settings.additionalUsers, authority: settings.authority, tenant: settings.tenant,
            scope: "\(self.environmentURL)/.default", noun: "application user", client: client, budget: self.budget,
            connectTimeout: settings.connectTimeout)
        webAPI = self.environmentURL + DataverseRequests.root
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// Writes are gathered when `batch_size` is above 1.
    public var batching: BatchingPolicy? {
        settings.batchSize > 1 ? BatchingPolicy(size: settings.batchSize, wait: settings.batchWait) : nil
    }

    public func send(_ delivery: Delivery, timeout: Duration) async -> TransportOutcome {
        await attempt(delivery, timeout: timeout).outcome
    }

    public func attempt(_ delivery: Delivery, timeout: Duration) async -> Attempt {
        var request: OutboundRequest
        do {
            let table = try await table(for: delivery)
            request = try DataverseRequests.write(for: delivery, table: table).request(environmentURL: environmentURL)
        } catch let unknown as DataverseTableUnknown {
            return Attempt(unknown.outcome)
        } catch {
            return Attempt(.unsendable((error as? StepError)?.message ?? "\(error)"))
        }
        if let traceparent = delivery.traceparent { request.headers.append(("traceparent", traceparent)) }
        // `execute` reads the answer's error codes; a failed sign-in's answer stays as it was (a wrong secret is permanent).
        return Attempt(await sendOne(request, timeout: timeout, user: (delivery.target as? DataverseWrite)?.user), sent: request)
    }

    public func send(batch: [Delivery], timeout: Duration) async -> [TransportOutcome] {
        await attempt(batch: batch, timeout: timeout).map(\.outcome)
    }

    /// The writes in as few requests as they fit: bulk messages for writes of one kind to one
    /// table (with `batch_with: multiple`), one `$batch` for the rest and for refused bulk messages.
    /// Each delivery's recorded request is its own write, as it would be sent alone.
    public func attempt(batch: [Delivery], timeout: Duration) async -> [Attempt] {
        // Writes declared to go as one user go in batches of their own, as that user.
        let users = batch.map { ($0.target as? DataverseWrite)?.user }
        guard Set(users).count > 1 else { return await attempt(batch: batch, timeout: timeout, user: users.first ?? nil) }
        var attempts = [Attempt?](repeating: nil, count: batch.count)
        for user in Set(users) {
            let indexes = users.indices.filter { users[$0] == user }
            for (index, attempt) in zip(indexes, await attempt(batch: indexes.map { batch[$0] }, timeout: timeout, user: user)) {
                attempts[index] = attempt
            }
        }
        return attempts.map { $0 ?? Attempt(.connectionFailed("the write got no answer")) }
    }

    private func attempt(batch: [Delivery], timeout: Duration, user: String?) async -> [Attempt] {
        var outcomes = [TransportOutcome?](repeating: nil, count: batch.count)
        var requests = [(@Sendable () -> OutboundRequest)?](repeating: nil, count: batch.count)
        var writes: [(index: Int, write: DataverseRequests.Write)] = []
        for (index, delivery) in batch.enumerated() {
            do {
                let write = try DataverseRequests.write(for: delivery, table: try await table(for: delivery))
                writes.append((index, write))
                let environmentURL = environmentURL
                requests[index] = { write.request(environmentURL: environmentURL) }
            } catch let unknown as DataverseTableUnknown {
                outcomes[index] = unknown.outcome
            } catch {
                outcomes[index] = .unsendable((error as? StepError)?.message ?? "\(error)")
            }
        }
        var rest = writes
        if settings.batchMode == .multiple {
            rest = []
            for group in DataverseBatch.bulkGroups(writes.map(\.write)) {
                let members = group.members.map { writes[$0] }
                guard let action = group.action, members.count > 1, let logical = try? await table(entitySet: group.table, user: user).logicalName
                else {
                    rest += members
                    continue
                }
                let body = DataverseBatch.bulkBody(members.map(\.write), logicalName: logical)
                let outcome = await sendBulk(webAPI + "\(group.table)/Microsoft.Dynamics.CRM.\(action)", body: body, timeout: timeout, user: user)
                switch outcome {
                case .response(let status, _, _) where (200..<300).contains(status):
                    for member in members { outcomes[member.index] = .response(status: 204, retryAfter: nil, body: "") }
                case .response(let status, _, _) where (400..<500).contains(status) && status != 429:
                    // One record (or more) is refused and the message changed nothing: send the writes
                    // again one by one inside a $batch, so each gets its own answer.
                    rest += members
                default:
                    for member in members { outcomes[member.index] = outcome }
                }
            }
        }
        if !rest.isEmpty {
            let answers = await sendBatch(rest.map(\.write), timeout: timeout, user: user)
            for (member, answer) in zip(rest, answers) {
                // Classifying reads the method and the conditions only: no need to serialize the record again.
                let request = OutboundRequest(method: member.write.method, url: "", path: "", headers: member.write.headers, body: [])
                outcomes[member.index] = classify(answer, request: request)
            }
        }
        return zip(outcomes, requests).map { Attempt($0 ?? .connectionFailed("the write got no answer"), request: $1) }
    }

    /// One `$batch` request with the writes; an outcome per write, in order. A batch refused as a
    /// whole (a `429`, a `5xx`, a broken connection, an answer that cannot be read part by part)
    /// gives every write that outcome.
    private func sendBatch(_ writes: [DataverseRequests.Write], timeout: Duration, user: String? = nil) async -> [TransportOutcome] {
        let boundary = "batch_\(UUID().uuidString.lowercased())"
        let request = Self.webAPIRequest(
            "POST", webAPI + "$batch",
            headers: [
                ("Content-Type", "multipart/mixed; boundary=\(boundary)"),
                ("Prefer", "odata.continue-on-error"),
            ],
            body: DataverseBatch.body(writes, boundary: boundary))
        var contentType: String?
        var bytes: [UInt8] = []
        let outcome = await sendOne(request, timeout: timeout, user: user) { type, raw in
            contentType = type
            bytes = raw
        }
        guard case .response(200, let retryAfter, _) = outcome else { return Array(repeating: outcome, count: writes.count) }
        guard let parts = ODataBatchAnswer.parts(bytes, contentType: contentType), parts.count == writes.count else {
            return Array(
                repeating: .response(status: 502, retryAfter: retryAfter, body: "the $batch answer could not be read as one part per request"),
                count: writes.count)
        }
        return parts
    }

    /// A request of the connector's own (a batch, a bulk message, a read) with the OData headers
    /// every Web API request carries.
    private static func webAPIRequest(_ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = []) -> OutboundRequest {
        OutboundRequest(
            method: method, url: url, path: url,
            headers: [("Accept", "application/json"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0")] + headers,
            body: body)
    }

    /// One bulk message (`UpsertMultiple` and its siblings).
    private func sendBulk(_ url: String, body: [UInt8], timeout: Duration, user: String? = nil) async -> TransportOutcome {
        await sendOne(
            Self.webAPIRequest("POST", url, headers: [("Content-Type", "application/json; charset=utf-8")], body: body), timeout: timeout, user: user)
    }

    /// A table's logical name, primary id column and column types, from its entity set name;
    /// read from the service's metadata once (two requests) and kept for the connector's life.
    /// Throws what a write to the table should answer when they cannot be read: the service's
    /// own answer (a `429`, a `401`, a broken connection), or `unsendable` for a table the
    /// environment does not have.
    /// - Parameter user: The application user to read as (the delivery's declared one); nil: the next free one.
    func table(entitySet: String, user: String? = nil) async throws(DataverseTableUnknown) -> DataverseTable {
        if let known = tables.withLock({ $0[entitySet] }) { return known }
        let timeout = Duration.seconds(60)
        let definitions = await read(
            webAPI + "EntityDefinitions?$select=LogicalName,PrimaryIdAttribute&$filter=EntitySetName%20eq%20\(ODataLiteral.quoted(entitySet))",
            headers: [], timeout: timeout, user: user)
        guard case .response(200, _, _) = definitions.outcome else { throw DataverseTableUnknown(outcome: definitions.outcome) }
        guard var table = DataverseTable(definitions: try? JSONValue(json: definitions.body)) else {
            throw DataverseTableUnknown(outcome: .unsendable("Dataverse has no table with the entity set name '\(entitySet)'"))
        }
        let attributes = await read(
            webAPI + "EntityDefinitions(LogicalName=\(ODataLiteral.quoted(table.logicalName)))/Attributes?$select=LogicalName,AttributeType",
            headers: [], timeout: timeout, user: user)
        guard case .response(200, _, _) = attributes.outcome else { throw DataverseTableUnknown(outcome: attributes.outcome) }
        table.readColumns(from: try? JSONValue(json: attributes.body))
        tables.withLock { $0[entitySet] = table }
        return table
    }

    /// The metadata of the table a delivery writes to; a create needs none (it has no key).
    private func table(for delivery: Delivery) async throws -> DataverseTable? {
        guard let write = delivery.target as? DataverseWrite else { throw StepError("the integration's target is not a Dataverse write") }
        guard write.operation != .create else { return nil }
        return try await table(entitySet: write.table, user: write.user)
    }

    /// A `GET` of a Web API URL as the application user, through the budget: the answer and its
    /// whole body (the outcome's body is cut to `maxRecordedBody`).
    func read(_ url: String, headers: [(String, String)], timeout: Duration, user: String? = nil) async -> (outcome: TransportOutcome, body: [UInt8])
    {
        let request = Self.webAPIRequest("GET", url, headers: headers)
        var bytes: [UInt8] = []
        let outcome = await sendOne(request, timeout: timeout, user: user) { _, raw in bytes = raw }
        return (outcome, bytes)
    }

    /// A part's or a request's answer with Dataverse's error codes read (see `DataverseErrors`).
    private func classify(_ outcome: TransportOutcome, request: OutboundRequest) -> TransportOutcome {
        guard case .response(let status, let retryAfter, let body) = outcome else { return outcome }
        if status == 401 || DataverseErrors.isTransient(status: status, body: body, request: request) {
            return .transient(status: status, retryAfter: retryAfter, body: body)
        }
        return outcome
    }

    /// One HTTP request as the next free user, through the system's budget.
    private func sendOne(
        _ request: OutboundRequest, timeout: Duration, user: String? = nil, raw: ((String?, [UInt8]) -> Void)? = nil
    ) async -> TransportOutcome {
        let lane: EntraApplications.Application
        let token: String
        switch await applications.signIn(as: user, timeout: timeout) {
        case .success(let signedIn): (lane, token) = signedIn
        case .failure(let refusal): return refusal.outcome
        }
        do {
            return try await budget.metered { await self.execute(request, token: token, lane: lane, timeout: timeout, raw: raw) }
        } catch {
            return .connectionFailed("shutting down before the request was sent")
        }
    }

    /// One request as `lane`'s user, with what the answer tells the budget: the execution time
    /// the service says this user has left in its window (`x-ms-ratelimit-time-remaining-xrm-requests`,
    /// seconds) and a changed recommended parallelism (`x-ms-dop-hint`).
    private func execute(
        _ request: OutboundRequest, token: String, lane: EntraApplications.Application, timeout: Duration,
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
            var signals: [SystemBudget.Signal] = []
            if let seconds = response.headers.first(name: "x-ms-ratelimit-time-remaining-xrm-requests").flatMap({
                Double($0.replacingOccurrences(of: ",", with: ""))
            }),
                seconds.isFinite, seconds >= 0, seconds < 1e9
            {
                signals.append(.executionRemaining(millis: Int64(seconds * 1000), users: applications.all.count))
            }
            if status == 401 { await lane.tokens.invalidate() }
            if status == 429, applications.all.count > 1 {
                // This user waits as long as it was told; the others carry on, so the message is retried soon.
                applications.pause(lane, retryAfter: response.headers.first(name: "Retry-After"))
                let text = body.getString(at: body.readerIndex, length: min(body.readableBytes, maxRecordedBody)) ?? ""
                return (.transient(status: 429, retryAfter: nil, body: "application user \(lane.clientID) throttled: \(text)"), signals)
            }
            if let hint = response.headers.first(name: "x-ms-dop-hint").flatMap(Int.init),
                lastHint.withLock({ last in
                    defer { last = hint }; return last != hint
                })
            {
                signals.append(.hint(hint))
            }
            let text = body.getString(at: body.readerIndex, length: min(body.readableBytes, maxRecordedBody)) ?? ""
            let retryAfter = response.headers.first(name: "Retry-After")
            // A 401 to a token that was valid a moment ago (it expired early, or was revoked): the
            // token is dropped, and the next attempt signs in again.
            return (classify(.response(status: status, retryAfter: retryAfter, body: text), request: request), signals)
        } catch {
            return (OutboundClient.outcome(of: error, url: request.url, connectTimeout: settings.connectTimeout), [])
        }
    }
}
