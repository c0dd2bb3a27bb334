import DataverseEmulatorCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import SwitchboardValues

/// A local Dataverse Web API: token endpoint, records, queries, metadata, service protection
/// limits and admin endpoints, over HTTP or HTTPS. Build with `init`, serve with `application`.
///
/// Routes:
/// - `POST /{tenant}/oauth2/v2.0/token`, `GET /{tenant}/discovery/v2.0/keys`: the Entra ID stand-in.
/// - `/api/data/v9.2/...` (and v9.0, v9.1): the Web API; every request needs a bearer token.
/// - `GET /_emulator/stats`, `GET /_emulator/metrics`, `POST /_emulator/reset`, `POST /_emulator/seed`.
public final class DataverseEmulator: Sendable {
    public let configuration: EmulatorConfiguration
    public let store: RecordStore
    public let issuer: TokenIssuer
    public let protection: ServiceProtection
    public let stats: EmulatorStats
    public let webhooks: WebhookDispatcher
    let api: WebAPI

    let persistence: (any EmulatorPersistence)?

    /// - Parameters:
    ///   - webhookSender: How webhooks are posted; nil refuses webhook registrations.
    ///   - persistence: Where records are kept across restarts; nil keeps them in memory only.
    ///   - millis: The clock of the service protection windows and the stats, in epoch milliseconds; the system clock by default.
    public init(
        configuration: EmulatorConfiguration, webhookSender: (any WebhookSender)? = nil, persistence: (any EmulatorPersistence)? = nil,
        millis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        self.configuration = configuration
        store = RecordStore(schema: configuration.schema)
        issuer = try TokenIssuer(tenant: configuration.tenant, users: configuration.users)
        protection = ServiceProtection(limits: configuration.limits, clock: millis)
        stats = EmulatorStats(clock: millis)
        api = WebAPI(store: store)
        webhooks = WebhookDispatcher(sender: webhookSender, schema: configuration.schema)
        self.persistence = persistence
        if let persistence {
            if let saved = try persistence.load() {
                store.restore(saved)
            } else {
                try persistence.clear(startingAfresh: store.history)
            }
            store.recordEvents(true)
        }
    }

    var scheme: String { configuration.tls == nil ? "http" : "https" }

    /// The HTTP application; a `Service` to run in a service group.
    ///
    /// - Parameter onListening: Called with the bound port once the listener accepts connections.
    public func application(logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let router = Router(context: EmulatorRequestContext.self)
        let tenant = configuration.tenant
        router.post("\(tenant)/oauth2/v2.0/token") { request, context in try await self.token(request, context: context) }
        router.get("\(tenant)/discovery/v2.0/keys") { _, _ in Self.response(.json(200, self.issuer.jwks())) }
        // OpenID discovery, which MSAL (under azure-identity) reads to find the token endpoint.
        router.get("\(tenant)/v2.0/.well-known/openid-configuration") { request, _ in
            let authority = "\(self.scheme)://\(request.head.authority ?? "\(self.configuration.host):\(self.configuration.port)")/\(tenant)"
            return Self.response(.json(200, TokenIssuer.openIDConfiguration(authority: authority)))
        }
        for method in [HTTPRequest.Method.get, .post, .patch, .put, .delete] {
            router.on("api/data/**", method: method) { request, context in try await self.webAPI(request, context: context) }
        }
        router.get("_emulator/stats") { _, _ in Self.response(.json(200, self.statistics())) }
        router.get("_emulator/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: self.stats.prometheus())))
        }
        router.post("_emulator/reset") { _, _ in
            self.store.reset()
            self.stats.reset()
            self.webhooks.clearDeliveries()
            try self.persistence?.clear(startingAfresh: self.store.history)
            return Response(status: .noContent)
        }
        router.post("_emulator/webhooks") { request, _ in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            do throws(DataverseError) {
                let registration = try WebhookRegistration.parse(
                    (try? JSONValue(json: Array(buffer.readableBytesView))) ?? .null, schema: self.store.schema)
                try self.webhooks.register(registration)
                self.store.recordEvents(true)
                return Self.response(.json(201, registration.json))
            } catch {
                return Self.response(.error(error))
            }
        }
        router.get("_emulator/webhooks") { _, _ in Self.response(.json(200, .object(["value": .array(self.webhooks.registrations.map(\.json))]))) }
        router.delete("_emulator/webhooks/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard self.webhooks.unregister(id) else {
                return Self.response(.error(DataverseError(status: 404, code: "", message: "No webhook has the id \(id).")))
            }
            if self.webhooks.registrations.isEmpty { self.store.recordEvents(false) }
            return Response(status: .noContent)
        }
        router.get("_emulator/webhooks/deliveries") { _, _ in
            Self.response(
                .json(
                    200,
                    .object([
                        "pending": .int(Int64(self.webhooks.pending)),
                        "value": .array(
                            self.webhooks.deliveries.map { delivery in
                                .object([
                                    "webhook": .string(delivery.registrationID), "message": .string(delivery.message),
                                    "table": .string(delivery.table),
                                    "record_id": .string(delivery.recordID), "url": .string(delivery.url), "attempts": .int(Int64(delivery.attempts)),
                                    "status": delivery.status.map { .int(Int64($0)) } ?? .null,
                                    "error": delivery.error.map(JSONValue.string) ?? .null,
                                    "succeeded": .bool(delivery.succeeded), "body": delivery.body,
                                ])
                            }),
                    ])))
        }
        router.post("_emulator/tokens/revoke") { _, _ in
            self.issuer.revokeAll()
            return Response(status: .noContent)
        }
        router.post("_emulator/seed") { request, context in try await self.seed(request, context: context) }
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.keyPath, format: .pem)
            server = try .tls(
                .http1(), tlsConfiguration: TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } else {
            server = .http1()
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard-dataverse-emulator"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? self.configuration.port) },
            logger: logger)
    }

    // MARK: - Web API

    private func webAPI(_ request: Request, context: EmulatorRequestContext) async throws -> Response {
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        let resource = "\(scheme)://\(host)"
        // /api/data/v9.2/accounts(...) → accounts(...); v9.0 and v9.1 keep working as on the service.
        let rawPath = request.uri.path
        var rest = Substring(rawPath.dropFirst("/api/data/".count))
        guard let slash = rest.firstIndex(of: "/"), ["v9.0", "v9.1", "v9.2"].contains(rest[..<slash]) else {
            return Self.response(.error(DataverseError.resourceNotFound(segment: String(rest.split(separator: "/").first ?? rest))))
        }
        rest = rest[rest.index(after: slash)...]
        let baseURL = "\(resource)/api/data/\(rawPath.dropFirst("/api/data/".count).prefix { $0 != "/" })/"
        let user: ApplicationUser
        switch issuer.verify(authorization: request.headers[.authorization], resourceHost: host) {
        case .success(let verified): user = verified
        case .failure(let rejection):
            return Self.response(.error(DataverseError.unauthorized(rejection.message, tenant: configuration.tenant, resource: resource)))
        }
        let started: Int64
        switch protection.admit(user.clientID) {
        case .failure(let error):
            stats.record(user: user.clientID, status: 429, throttled: error.throttleReason)
            return Self.response(.error(error), extra: rateHeaders(user))
        case .success(let time): started = time
        }
        let clock = ContinuousClock()
        let began = clock.now
        switch configuration.faults.draw() {
        case .none: break
        case .spike(let millis): try? await Task.sleep(for: .microseconds(Int64(millis * 1000)))
        case .fail(let status):
            protection.finish(user.clientID, startedAt: started, executionMillis: 0)
            stats.record(user: user.clientID, status: status, injected: true)
            return Self.response(.error(FaultInjection.error(status: status)), extra: rateHeaders(user))
        case .drop:
            protection.finish(user.clientID, startedAt: started, executionMillis: 0)
            stats.record(user: user.clientID, status: 0, injected: true)
            try await context.channel.close()
            throw CancellationError()
        }
        var body: [UInt8] = []
        do {
            var request = request
            body = Array(try await request.collectBody(upTo: configuration.maxBodyBytes).readableBytesView)
        } catch {
            protection.finish(user.clientID, startedAt: started, executionMillis: 0)
            return Self.response(
                .error(
                    DataverseError(status: 413, code: "0x8004e00b", message: "The request body is larger than \(configuration.maxBodyBytes) bytes.")))
        }
        let apiRequest = WebAPIRequest(
            method: request.method.rawValue, resourcePath: String(rest).removingPercentEncoding ?? String(rest),
            query: WebAPIRequest.parseQuery(request.uri.query),
            headers: Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { first, _ in first }),
            body: body)
        let answer = api.handle(apiRequest, baseURL: baseURL, user: user)
        handOut(userID: user.userID, logger: context.logger)
        // Simulated execution time: one draw per operation (a bulk message's targets, a batch's requests).
        let simulated = configuration.latency.draw(operations: answer.operations)
        if simulated > 0 { try? await Task.sleep(for: .microseconds(Int64(simulated * 1000))) }
        let elapsed = clock.now - began
        let executionMillis = max(
            Int64(simulated.rounded()), Int64(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000))
        protection.finish(user.clientID, startedAt: started, executionMillis: executionMillis)
        stats.record(user: user.clientID, status: answer.status, operations: answer.operations, executionMillis: executionMillis)
        if apiRequest.resourcePath == "$batch" { stats.batch(size: answer.operations) }
        if let range = apiRequest.resourcePath.range(of: "/Microsoft.Dynamics.CRM."), apiRequest.resourcePath.hasSuffix("Multiple"),
            (200..<300).contains(answer.status)
        {
            stats.bulk(String(apiRequest.resourcePath[range.upperBound...]), size: answer.operations)
        }
        return Self.response(answer, extra: rateHeaders(user))
    }

    /// What `/_emulator/stats` serves: requests, throttling, entitlement and execution time per
    /// user, batches, and records created, updated and deleted.
    public func statistics() -> JSONValue {
        stats.json(changes: store.snapshot().changeCounts)
    }

    /// Gives the changes committed since the last call to the state file and the webhooks.
    private func handOut(userID: String, logger: Logger) {
        let changes = store.drainEvents()
        guard !changes.isEmpty else { return }
        if let persistence {
            do { try persistence.save(changes, version: store.version) } catch {
                logger.error("saving records failed", metadata: ["error": "\(error)"])
            }
        }
        webhooks.publish(changes, userID: userID)
    }

    private func rateHeaders(_ user: ApplicationUser) -> [(String, String)] {
        protection.headers(user.clientID) + [("x-ms-dop-hint", String(configuration.dopHint))]
    }

    // MARK: - Token endpoint

    private func token(_ request: Request, context: some RequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 10)
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        let (status, json) = issuer.token(body: String(buffer: body), authorization: request.headers[.authorization], resourceHost: host)
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: json.serialized())))
    }

    // MARK: - Admin

    /// `POST /_emulator/seed` with `{"accounts": [{...}, ...], ...}`: creates the records as a
    /// client would, all or none. A table's records come after those of the tables it looks up,
    /// so a seed may bind to records it creates itself.
    private func seed(_ request: Request, context: some RequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        guard case .object(let sets)? = try? JSONValue(json: Array(buffer.readableBytesView)) else {
            return Self.response(.error(.badRequest("The seed body must be a JSON object of entity set names to arrays of records.")))
        }
        var tables: [(TableSchema, [JSONValue])] = []
        for (name, value) in sets.sorted(by: { $0.key < $1.key }) {
            guard let table = store.schema.table(entitySet: name) else { return Self.response(.error(.resourceNotFound(segment: name))) }
            guard case .array(let records) = value else { return Self.response(.error(.badRequest("\(name) must be an array of records."))) }
            tables.append((table, records))
        }
        let ordered = Self.dependencyOrder(tables)
        do throws(DataverseError) {
            let created = try store.transaction { draft throws(DataverseError) -> Int in
                var created = 0
                for (table, records) in ordered {
                    for (index, record) in records.enumerated() {
                        do throws(DataverseError) {
                            _ = try draft.create(table, try RecordPayload.parse(record, table: table))
                            created += 1
                        } catch {
                            throw DataverseError(
                                status: error.status, code: error.code, message: "\(table.entitySetName)[\(index)]: \(error.message)")
                        }
                    }
                }
                return created
            }
            handOut(userID: "seed", logger: context.logger)
            return Self.response(.json(200, .object(["created": .int(Int64(created))])))
        } catch {
            return Self.response(.error(error))
        }
    }

    /// Tables ordered so that a table comes after the tables its records bind to (`x@odata.bind`).
    static func dependencyOrder(_ tables: [(TableSchema, [JSONValue])]) -> [(TableSchema, [JSONValue])] {
        func boundTargets(_ entry: (TableSchema, [JSONValue])) -> Set<String> {
            var targets: Set<String> = []
            for record in entry.1 {
                guard case .object(let fields) = record else { continue }
                for name in fields.keys where name.hasSuffix("@odata.bind") {
                    if let column = entry.0.column(String(name.dropLast("@odata.bind".count))), case .lookup(let target) = column.type,
                        target != entry.0.logicalName
                    {
                        targets.insert(target)
                    }
                }
            }
            return targets
        }
        var remaining = tables
        var ordered: [(TableSchema, [JSONValue])] = []
        while !remaining.isEmpty {
            let pending = Set(remaining.map(\.0.logicalName))
            // A cycle: take them in name order.
            let index = remaining.firstIndex { boundTargets($0).isDisjoint(with: pending) } ?? 0
            ordered.append(remaining.remove(at: index))
        }
        return ordered
    }

    static func response(_ answer: WebAPIResponse, extra: [(String, String)] = []) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers + extra {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: .init(code: answer.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

extension DataverseEmulator {
    /// Serves until SIGTERM or SIGINT, then stops gracefully. A port that cannot be listened on
    /// throws a `ListenFailure` naming it (`pass another --port`).
    public func run(logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [try application(logger: logger, onListening: onListening)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let address = (host: configuration.host, port: configuration.port)
        do {
            try await group.run()
        } catch let error as IOError {
            throw ListenFailure(host: address.host, port: address.port, errno: error.errnoCode, remedy: "pass another --port", underlying: "\(error)")
        } catch is SocketAddressError {
            throw ListenFailure(
                host: address.host, port: address.port, errno: nil, remedy: "pass another --host",
                underlying: "\(address.host) is not a host name this machine can resolve")
        }
    }
}

/// The request context of the emulator's routes: Hummingbird's, plus the connection, so a fault
/// can drop it.
public struct EmulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
