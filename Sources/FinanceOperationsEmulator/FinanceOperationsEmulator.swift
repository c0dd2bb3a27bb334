import EmulatorSecurity
import FinanceOperationsEmulatorCore
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

/// A local Finance & Operations: the Entra-shaped token endpoint and the OData service at
/// `/data`, over HTTP or HTTPS. Build with `init`, serve with `application` or `run`.
///
/// Routes:
/// - `POST /{tenant}/oauth2/v2.0/token`, `GET /{tenant}/discovery/v2.0/keys` and OpenID
///   discovery: the Entra ID stand-in;
///   the token's audience is the emulator's own URL (`scope=https://HOST:PORT/.default`), as the
///   service requires its environment URL.
/// - `/data`, `/data/$metadata`, `/data/{EntitySet}…`: the OData service; every request needs a
///   bearer token of a registered application (otherwise 401).
/// - `/_emulator/business-events/…`: endpoints (`POST endpoints` registers one, `GET` lists,
///   `DELETE endpoints/{name}`), `GET sent` and `GET errors` (the error log), `POST {EventId}/resend`.
/// - `POST /_emulator/reset`: forgets every record; `POST /_emulator/seed` creates records, all
///   or none; `GET /_emulator/stats` and `GET /_emulator/metrics` (Prometheus) count requests by
///   status, 429s by priority and records by entity set.
///
/// `/data` is throttled by priority (`ResourceThrottle`): `429` with `Retry-After` and the
/// service's sentence, lower priorities first.
public final class FinanceOperationsEmulator: Sendable {
    public let configuration: FinanceOperationsEmulatorConfiguration
    public let issuer: TokenIssuer
    public let service: DataService
    public let throttle: ResourceThrottle
    public let businessEvents: BusinessEventDispatcher
    let counters = EmulatorCounters()

    /// - Parameters:
    ///   - webhookSender: Posts business events; nil: none can be registered.
    ///   - millis: The throttling window's and the events' clock, in epoch milliseconds; the system clock by default.
    public init(
        configuration: FinanceOperationsEmulatorConfiguration, webhookSender: (any WebhookSender)? = nil,
        millis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        self.configuration = configuration
        issuer = try TokenIssuer(tenant: configuration.tenant, users: configuration.applications.map(\.credentials) + configuration.unregistered)
        let events = BusinessEventDispatcher(settings: configuration.businessEvents, sender: webhookSender, millis: millis)
        businessEvents = events
        service = DataService(schema: configuration.schema, pageSize: configuration.pageSize) { raised in events.publish(raised) }
        throttle = ResourceThrottle(settings: configuration.throttling, clock: millis)
    }

    var scheme: String { configuration.tls == nil ? "http" : "https" }

    /// The HTTP application; a `Service` to run in a service group. `onListening` gets the port.
    public func application(logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        let router = Router()
        let tenant = configuration.tenant
        router.post("\(tenant)/oauth2/v2.0/token") { request, _ in try await self.token(request) }
        router.get("\(tenant)/discovery/v2.0/keys") { _, _ in Self.json(200, self.issuer.jwks()) }
        router.get("\(tenant)/v2.0/.well-known/openid-configuration") { request, _ in
            let authority = "\(self.scheme)://\(request.head.authority ?? "\(self.configuration.host):\(self.configuration.port)")/\(tenant)"
            return Self.json(200, TokenIssuer.openIDConfiguration(authority: authority))
        }
        for method in [HTTPRequest.Method.get, .post, .patch, .put, .delete] {
            router.on("data", method: method) { request, _ in try await self.data(request) }
            router.on("data/**", method: method) { request, _ in try await self.data(request) }
        }
        router.post("_emulator/reset") { _, _ in
            self.service.records.reset()
            return Response(status: .noContent)
        }
        router.post("_emulator/seed") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: self.configuration.maxBodyBytes)
            let company = self.configuration.applications.first?.company ?? "usmf"
            switch self.service.seed(Array(body.readableBytesView), company: company) {
            case .success(let count): return Self.json(200, .object(["created": .int(Int64(count))]))
            case .failure(let error): return Self.json(error.status, error.body)
            }
        }
        router.post("_emulator/business-events/endpoints") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let known = Set(self.configuration.schema.entities.flatMap { $0.businessEvents.map(\.id) })
            switch self.businessEvents.register(Array(body.readableBytesView), known: known) {
            case .success(let endpoint): return Self.json(201, Self.json(endpoint))
            case .failure(let error): return Self.json(error.status, error.body)
            }
        }
        router.get("_emulator/business-events/endpoints") { _, _ in
            Self.json(200, .object(["value": .array(self.businessEvents.endpoints.map(Self.json))]))
        }
        router.delete("_emulator/business-events/endpoints/:name") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard self.businessEvents.unregister(name) else {
                return Self.json(404, ServiceError(status: 404, message: "There is no endpoint named \(name).").body)
            }
            return Response(status: .noContent)
        }
        router.get("_emulator/business-events/sent") { _, _ in
            Self.json(200, .object(["value": .array(self.businessEvents.sent.map(BusinessEventDispatcher.json))]))
        }
        router.get("_emulator/business-events/errors") { _, _ in
            Self.json(200, .object(["value": .array(self.businessEvents.errors.map(BusinessEventDispatcher.json))]))
        }
        router.post("_emulator/business-events/:event/resend") { _, context in
            let id = context.parameters.get("event") ?? ""
            guard self.businessEvents.resend(eventID: id) else {
                return Self.json(404, ServiceError(status: 404, message: "No business event with the id \(id) was sent or failed.").body)
            }
            return Response(status: .accepted)
        }
        router.get("_emulator/stats") { _, _ in Self.json(200, self.statistics()) }
        router.get("_emulator/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: self.prometheus())))
        }
        let server: HTTPServerBuilder
        if let tls = configuration.tls {
            let chain = try NIOSSLCertificate.fromPEMFile(tls.certificatePath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: tls.keyPath, format: .pem)
            server = try .tls(.http1(), tlsConfiguration: TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        } else {
            server = .http1()
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard-finance-operations-emulator"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? self.configuration.port) },
            logger: logger)
    }

    private func data(_ request: Request) async throws -> Response {
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        let root = "\(scheme)://\(host)"
        let application: FinanceOperationsEmulatorConfiguration.Application
        switch issuer.verify(authorization: request.headers[.authorization], resourceHost: host) {
        case .failure(let rejection):
            counters.record(status: 401, client: nil)
            return Self.json(401, ServiceErrorBody.unauthorized(rejection.message), headers: [.wwwAuthenticate: "Bearer"])
        case .success(let user):
            guard let registered = configuration.applications.first(where: { $0.credentials.clientID == user.clientID }) else {
                counters.record(status: 401, client: user.clientID)
                return Self.json(
                    401,
                    ServiceErrorBody.unauthorized(
                        "The application \(user.clientID) is not registered: add it on System administration > Setup > Microsoft Entra applications, mapped to a user."
                    ), headers: [.wwwAuthenticate: "Bearer"])
            }
            application = registered
        }
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        let path = request.uri.path.removingPercentEncoding ?? request.uri.path
        // A batch weighs as many operations as it holds requests.
        let operations = path.hasSuffix("/$batch") ? max(1, Self.parts(in: body.readableBytesView)) : 1
        if case .throttled(let seconds) = throttle.admit(client: application.credentials.clientID, priority: application.priority, operations: operations) {
            let error = JSONValue.object(["error": .object(["code": .string(""), "message": .string(ResourceThrottle.message(retryAfter: seconds))])])
            counters.record(status: 429, client: application.credentials.clientID)
            return Self.json(429, error, headers: [.retryAfter: String(seconds)])
        }
        let answer = service.handle(
            ServiceRequest(
                method: request.method.rawValue, path: path, query: QueryString.parse(request.uri.query),
                headers: request.headers.map { ($0.name.canonicalName, $0.value) }, body: Array(body.readableBytesView),
                root: root, company: application.company))
        counters.record(status: answer.status, client: application.credentials.clientID)
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    static func json(_ endpoint: BusinessEventDispatcher.Endpoint) -> JSONValue {
        .object([
            "name": .string(endpoint.name), "url": .string(endpoint.url), "business_events": .array(endpoint.events.map(JSONValue.string)),
            "legal_entity": endpoint.legalEntity.map(JSONValue.string) ?? .null,
        ])
    }

    /// `GET /_emulator/stats`: requests by status and application, 429s by priority, records per entity set.
    public func statistics() -> JSONValue {
        let (byStatus, byClient) = counters.snapshot
        let throttled = throttle.throttledByPriority
        return .object([
            "requests_by_status": .object(Dictionary(uniqueKeysWithValues: byStatus.map { (String($0.key), JSONValue.int(Int64($0.value))) })),
            "requests_by_application": .object(byClient.mapValues { .int(Int64($0)) }),
            "throttled_by_priority": .object(
                Dictionary(uniqueKeysWithValues: ResourceThrottle.Priority.allCases.map { ($0.rawValue, JSONValue.int(Int64(throttled[$0] ?? 0))) })),
            "business_events": .object([
                "sent": .int(Int64(businessEvents.sent.filter(\.succeeded).count)), "failed": .int(Int64(businessEvents.errors.count)),
                "pending": .int(Int64(businessEvents.pending)),
            ]),
            "records": .object(
                Dictionary(uniqueKeysWithValues: configuration.schema.entities.map { ($0.setName, JSONValue.int(Int64(service.records.records($0).count))) })),
        ])
    }

    /// `GET /_emulator/metrics`: the same in Prometheus' text format.
    func prometheus() -> String {
        let (byStatus, _) = counters.snapshot
        let throttled = throttle.throttledByPriority
        var lines = [
            "# HELP finance_operations_emulator_requests_total Requests to /data, by status.",
            "# TYPE finance_operations_emulator_requests_total counter",
        ]
        for (status, count) in byStatus.sorted(by: { $0.key < $1.key }) {
            lines.append("finance_operations_emulator_requests_total{status=\"\(status)\"} \(count)")
        }
        lines += [
            "# HELP finance_operations_emulator_throttled_total Requests refused with 429, by the application's priority.",
            "# TYPE finance_operations_emulator_throttled_total counter",
        ]
        for priority in ResourceThrottle.Priority.allCases {
            lines.append("finance_operations_emulator_throttled_total{priority=\"\(priority.rawValue)\"} \(throttled[priority] ?? 0)")
        }
        lines += [
            "# HELP finance_operations_emulator_business_events_total Business event deliveries finished, by result.",
            "# TYPE finance_operations_emulator_business_events_total counter",
            "finance_operations_emulator_business_events_total{result=\"sent\"} \(businessEvents.sent.filter(\.succeeded).count)",
            "finance_operations_emulator_business_events_total{result=\"failed\"} \(businessEvents.sent.filter { !$0.succeeded }.count)",
        ]
        lines += ["# HELP finance_operations_emulator_records Records held, by entity set.", "# TYPE finance_operations_emulator_records gauge"]
        for entity in configuration.schema.entities {
            lines.append("finance_operations_emulator_records{entity_set=\"\(entity.setName)\"} \(service.records.records(entity).count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// How many `application/http` parts a batch body holds.
    static func parts(in body: some Collection<UInt8>) -> Int {
        let needle = Array("application/http".utf8)
        let bytes = Array(body)
        guard bytes.count >= needle.count else { return 0 }
        var count = 0
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] | 0x20 == needle[0], zip(bytes[index..<index + needle.count], needle).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                count += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        return count
    }

    private func token(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 << 10)
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        let (status, json) = issuer.token(body: String(buffer: body), authorization: request.headers[.authorization], resourceHost: host)
        return Self.json(status, json, headers: [.cacheControl: "no-store"])
    }

    static func json(_ status: Int, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }
}

/// The body of a 401: an OData error with the reason.
enum ServiceErrorBody {
    static func unauthorized(_ reason: String) -> JSONValue {
        .object(["error": .object(["code": .string(""), "message": .string("Unauthorized: \(reason)")])])
    }
}

extension FinanceOperationsEmulator {
    /// Serves until SIGTERM or SIGINT, then stops gracefully. A port that cannot be listened on
    /// throws a `ListenFailure` naming it.
    public func run(logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [try application(logger: logger, onListening: onListening)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
