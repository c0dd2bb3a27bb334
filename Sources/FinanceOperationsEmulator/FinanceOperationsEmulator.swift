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
/// - `POST /_emulator/reset`: forgets every record.
///
/// `/data` is throttled by priority (`ResourceThrottle`): `429` with `Retry-After` and the
/// service's sentence, lower priorities first.
public final class FinanceOperationsEmulator: Sendable {
    public let configuration: FinanceOperationsEmulatorConfiguration
    public let issuer: TokenIssuer
    public let service: DataService
    public let throttle: ResourceThrottle

    /// - Parameter millis: The throttling window's clock, in epoch milliseconds; the system clock by default.
    public init(
        configuration: FinanceOperationsEmulatorConfiguration, millis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) throws {
        self.configuration = configuration
        issuer = try TokenIssuer(tenant: configuration.tenant, users: configuration.applications.map(\.credentials) + configuration.unregistered)
        service = DataService(schema: configuration.schema, pageSize: configuration.pageSize)
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
            return Self.json(401, ServiceErrorBody.unauthorized(rejection.message), headers: [.wwwAuthenticate: "Bearer"])
        case .success(let user):
            guard let registered = configuration.applications.first(where: { $0.credentials.clientID == user.clientID }) else {
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
            return Self.json(429, error, headers: [.retryAfter: String(seconds)])
        }
        let answer = service.handle(
            ServiceRequest(
                method: request.method.rawValue, path: path, query: QueryString.parse(request.uri.query),
                headers: request.headers.map { ($0.name.canonicalName, $0.value) }, body: Array(body.readableBytesView),
                root: root, company: application.company))
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
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
        let form = Dictionary(QueryString.parse(String(buffer: body)), uniquingKeysWith: { first, _ in first })
        var basic: (String, String)?
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        {
            basic = (
                String(decoded[..<colon]).removingPercentEncoding ?? "", String(decoded[decoded.index(after: colon)...]).removingPercentEncoding ?? ""
            )
        }
        let host = request.head.authority ?? "\(configuration.host):\(configuration.port)"
        let (status, json) = issuer.token(form: form, basic: basic, resourceHost: host)
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
