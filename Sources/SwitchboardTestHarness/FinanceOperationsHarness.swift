import AsyncHTTPClient
import EmulatorSecurity
import FinanceOperationsEmulator
import FinanceOperationsEmulatorCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import SwitchboardHub
import SwitchboardModel
import SwitchboardTesting

/// A Finance & Operations emulator serving HTTPS on a free loopback port, with a client that
/// trusts its CA. Throttling is off unless `throttling` turns it on.
public final class FinanceOperationsHarness: Sendable {
    public typealias Application = FinanceOperationsEmulatorConfiguration.Application
    public let emulator: FinanceOperationsEmulator
    public let client: HTTPClient
    public let port: Int
    public let folder: TemporaryDirectory
    private let task: Task<Void, any Error>

    public var origin: String { "https://127.0.0.1:\(port)" }
    public var caPath: String { folder.url.appendingPathComponent("tls/ca.pem").path }

    public static let firstApplication = Application(credentials: ApplicationUser(clientID: "app-1", clientSecret: "secret-1"))

    private let sender = EmulatorWebhookSender()

    /// - Parameter businessEvents: The deliveries' retries and timeout; default the service's (3 retries, 1 s apart).
    public init(
        applications: [Application] = [FinanceOperationsHarness.firstApplication], throttling: ResourceThrottle.Settings? = nil,
        businessEvents: BusinessEventDispatcher.Settings = .init()
    ) async throws {
        folder = try TemporaryDirectory()
        let files = try SelfSignedCertificate.write(to: folder.url.appendingPathComponent("tls"))
        var configuration = FinanceOperationsEmulatorConfiguration(applications: applications)
        configuration.port = 0
        configuration.tls = .init(certificatePath: files.certificate.path, keyPath: files.key.path)
        if let throttling {
            configuration.throttling = throttling
        } else {
            configuration.throttling.enabled = false
        }
        configuration.businessEvents = businessEvents
        emulator = try FinanceOperationsEmulator(configuration: configuration, webhookSender: sender)
        var logger = Logger(label: "finance-operations-emulator-test")
        logger.logLevel = .critical
        let listening = Locked<Int?>(nil)
        let application = try emulator.application(logger: logger) { port in listening.withLock { $0 = port } }
        task = Task { try await application.runService() }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(files.authority.path)
        var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        clientConfiguration.tracing.tracer = nil
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        var bound: Int?
        for _ in 0..<500 {
            bound = listening.withLock { $0 }
            if bound != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        port = bound ?? 0
    }

    public func stop() async throws {
        task.cancel()
        try await client.shutdown()
        try await sender.shutdown()
        folder.remove()
    }

    /// Sends a request to `path` under the origin (`/data/CustomersV3`), as `app-1` unless `token` is given.
    public func send(_ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> EmulatorHarness.Answer {
        var request = HTTPClientRequest(url: origin + path)
        request.method = HTTPMethod(rawValue: method)
        let bearer: String
        if let token { bearer = token } else { bearer = try await self.token() }
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return EmulatorHarness.Answer(status: Int(response.status.code), headers: fields, body: Array(bytes.readableBytesView))
    }

    /// Sends a request to a full URL (a hub's webhook) without a token.
    public func sendPlain(_ method: String, _ url: String, body: String) async throws -> EmulatorHarness.Answer {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return EmulatorHarness.Answer(status: Int(response.status.code), headers: [:], body: Array(bytes.readableBytesView))
    }

    /// A token for the client credentials, from the emulator's token endpoint.
    public func token(clientID: String = "app-1", secret: String = "secret-1") async throws -> String {
        var request = HTTPClientRequest(url: "\(origin)/switchboard/oauth2/v2.0/token")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(
            ByteBuffer(string: "grant_type=client_credentials&client_id=\(clientID)&client_secret=\(secret)&scope=https%3A%2F%2F127.0.0.1%3A\(port)%2F.default"))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (try? JSONValue(json: Array(bytes.readableBytesView)))?["access_token"]?.text ?? ""
    }

    /// The connection fields of a workspace system at this emulator, signed in as `app-1` with
    /// the secret in `${env:FNO_SECRET}`, each line indented by `indent` spaces.
    public func connectionFields(indent: Int, extra: [String] = []) -> String {
        (["base_url: \(origin)", "authority: \(origin)", "tenant: switchboard", "client_id: app-1", "client_secret: ${env:FNO_SECRET}", "ca_file: \(caPath)"]
            + extra)
            .map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
    }
}
