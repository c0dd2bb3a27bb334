import AsyncHTTPClient
import EmulatorSecurity
import Foundation
import NIOCore
import NIOSSL
import SwitchboardConnectors
import SwitchboardModel
import SwitchboardTestHarness
import SwitchboardTesting
import Testing

@Suite("The hub's listener over TLS")
struct ListenerTLSTests {
    @Test("with server.tls the hub serves HTTPS (webhooks and the management API); plain HTTP gets no answer")
    func https() async throws {
        let certificates = try TemporaryDirectory()
        defer { certificates.remove() }
        let files = try SelfSignedCertificate.write(to: certificates.url)
        let harness = try await HubHarness(
            integrations: [HubHarness.integration("orders")],
            server: ", tls: { certificate: \(files.certificate.path), key: \(files.key.path) }")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(files.authority.path)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(harness.port)/hooks/orders")
        request.method = .POST
        request.headers.add(name: "X-Key", value: "shop-secret")
        request.body = .bytes(ByteBuffer(string: #"{"id": 1}"#))
        let accepted = try await client.execute(request, timeout: .seconds(10))
        #expect(accepted.status.code == 202)
        let health = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(harness.port)/api/v1/health"), timeout: .seconds(10))
        #expect(health.status == .ok && health.headers.first(name: "X-Frame-Options") == "DENY")
        let plain = try? await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(harness.port)/api/v1/health"), timeout: .seconds(3))
        #expect(plain == nil || plain?.status != .ok)
        try await client.shutdown()
        try await harness.stop()
    }

    @Test("a certificate that cannot be read is a validate error naming the field")
    func unreadable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "switchboard.yaml",
            """
            version: 1
            server: { tls: { certificate: tls/missing.pem, key: tls/missing-key.pem } }
            systems: [{ id: shop, kind: http, location: cloud }]
            """)
        do {
            _ = try Workspace.load(directory: directory.url, registry: .standard)
            Issue.record("loaded")
        } catch {
            #expect(error.diagnostics.map(\.message).contains("server.tls.certificate 'tls/missing.pem' cannot be read"))
        }
    }
}
