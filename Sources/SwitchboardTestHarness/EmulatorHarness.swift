import AsyncHTTPClient
import DataverseEmulator
import DataverseEmulatorCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import SwitchboardModel
import SwitchboardTesting

/// A Dataverse emulator serving HTTPS on a free loopback port, with a client that trusts its CA.
public final class EmulatorHarness: Sendable {
    public let emulator: DataverseEmulator
    public let client: HTTPClient
    public let port: Int
    public let folder: TemporaryDirectory
    private let task: Task<Void, any Error>

    public var origin: String { "https://127.0.0.1:\(port)" }
    public var base: String { "\(origin)/api/data/v9.2/" }

    public init(
        limits: ServiceProtection.Limits = .init(), latency: LatencyModel = .none,
        users: [ApplicationUser] = [ApplicationUser(clientID: "app-1", clientSecret: "secret-1")], webhooks: (any WebhookSender)? = nil,
        faults: FaultInjection = .init(), persistence: (any EmulatorPersistence)? = nil,
        millis: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) async throws {
        folder = try TemporaryDirectory()
        let files = try SelfSignedCertificate.write(to: folder.url.appendingPathComponent("tls"))
        var configuration = EmulatorConfiguration()
        configuration.port = 0
        configuration.tls = .init(certificatePath: files.certificate.path, keyPath: files.key.path)
        configuration.limits = limits
        configuration.latency = latency
        configuration.users = users
        configuration.faults = faults
        emulator = try DataverseEmulator(configuration: configuration, webhookSender: webhooks, persistence: persistence, millis: millis)
        var logger = Logger(label: "emulator-test")
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
        folder.remove()
    }

    public struct Answer {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var json: JSONValue { (try? JSONValue(json: body)) ?? .null }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var errorCode: String? { json["error"]?["code"]?.text }
        public var errorMessage: String? { json["error"]?["message"]?.text }
    }

    /// Sends a request to `url` (relative to the Web API base unless it starts with https://).
    public func send(
        _ method: String, _ url: String, token: String? = nil, headers: [String: String] = [:], body: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url.hasPrefix("https://") || url.hasPrefix("http://") ? url : base + url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "OData-MaxVersion", value: "4.0")
        request.headers.add(name: "OData-Version", value: "4.0")
        if let body {
            request.headers.add(name: "Content-Type", value: headers["Content-Type"] ?? "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        for (name, value) in headers where name != "Content-Type" { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), headers: fields, body: Array(bytes.readableBytesView))
    }

    /// The fields of a workspace connection to this emulator as `app-1` (secret `secrets/dataverse`,
    /// which the caller writes), each line indented by `indent` spaces.
    public func connectionFields(indent: Int, extra: [String] = []) -> String {
        ([
            "base_url: \(origin)", "authority: \(origin)", "tenant: switchboard", "client_id: app-1",
            "client_secret: ${file:secrets/dataverse}", "ca_file: \(folder.url.appendingPathComponent("tls/ca.pem").path)",
        ] + extra)
        .map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
    }

    /// A token for the client credentials, from the emulator's token endpoint.
    public func token(clientID: String = "app-1", secret: String = "secret-1") async throws -> String {
        let answer = try await send(
            "POST", "\(origin)/switchboard/oauth2/v2.0/token", headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: "grant_type=client_credentials&client_id=\(clientID)&client_secret=\(secret)&scope=https%3A%2F%2F127.0.0.1%3A\(port)%2F.default")
        return answer.json["access_token"]?.text ?? ""
    }

    /// A Dataverse system at this emulator for a `WorkspaceFixture`, signed in as `app-1` (whose
    /// secret the fixture writes to `secrets/dataverse`), with more connection fields in `extra`.
    public func system(_ id: String, extra: [String] = []) -> String {
        WorkspaceFixture.system(id, kind: "dataverse", connection: connectionFields(indent: 0, extra: extra).split(separator: "\n").map(String.init))
    }
}
